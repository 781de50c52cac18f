"""The local crisis screen: runs on every user turn, before the character answers.

It is deliberately simple and offline: regular expressions over a normalised copy of the
text, so it still works when the model endpoint is down and gives the same answer every
time. It errs towards pausing the role-play; a pause costs a moment, a miss can cost more.

How a line is read:

1. Normalise: lower case, straight apostrophes, common chat spellings ("wanna", "im",
   "kms") expanded.
2. Split into sentences. Quoted speech is dropped from a sentence that frames fiction
   or asks "you" a question, so a clinician trainee quoting a client does not fire.
3. Try each cue, highest-acuity category first (method, suicide, self-harm, indirect,
   danger from others). A cue fires only if its anchor holds:

   - ``self``: the cue names the speaker itself ("kill myself", "my life", "without me");
   - ``first``: the nearest subject before the cue is "I"/"me"/"we" (or an unstated
     subject at the start of the sentence: "just want to die"), not "you", "he", or
     "my brother";
   - ``agent``: a person other than the speaker does it to "me" ("my partner hits me").

   and it is not negated ("I would never hurt myself"; "can't stop thinking about" is not
   a negation), not in a clause about a film, book or game, and not excluded by the
   cue's own list of ordinary uses ("cut myself while cooking").
4. "Loss, then a question about the height of a bridge or building" fires even though
   neither half would alone; the loss may be in ``previous``, the user's last line.

The screen never echoes the user's words: ``Screening.matched`` names the cue, so logs do
not collect what people wrote.

Limits. A list of phrasings catches the phrasings it lists. On the labelled set in
``tests/data`` (written by the same hand as the cues) it is near perfect; on fresh
sentences written afterwards, before each round of changes, it caught between a fifth and
a half of the crises and almost never fired on ordinary lines. Treat it as a floor under
a model-based check, not as the check: a missed cue here is the common failure, not a
false alarm. It reads one line (plus the previous one for a loss); it does not follow a
conversation, understand sarcasm, or read languages other than English.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "CATEGORIES",
    "REGIONS",
    "SAFETY_MESSAGE",
    "Category",
    "Screening",
    "crisis_resources",
    "safety_message",
    "screen",
]

Category = Literal["none", "suicide", "self_harm", "indirect", "method", "harm_from_others"]
CATEGORIES: Final[tuple[Category, ...]] = (
    "none",
    "suicide",
    "self_harm",
    "indirect",
    "method",
    "harm_from_others",
)


@dataclass(frozen=True)
class Screening:
    """The result of screening one user line."""

    flagged: bool
    category: Category
    matched: str  # the name of the cue that fired ("" when nothing did), for the log


_CLEAR: Final = Screening(flagged=False, category="none", matched="")

_Anchor = Literal["self", "first", "agent"]


@dataclass(frozen=True)
class _Cue:
    name: str
    category: Category
    pattern: re.Pattern[str]
    anchor: _Anchor
    negatable: bool = True
    unless: re.Pattern[str] | None = None  # a sentence matching this is an ordinary use
    needs: re.Pattern[str] | None = None  # the sentence must also match this
    context: re.Pattern[str] | None = None  # this text or the previous line must match
    verbal: bool = True  # the cue opens on a verb, so "my brother" before it is a subject


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# --- normalisation -------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"'})
_SPELLINGS: Final = {
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "im": "i'm",
    "ive": "i've",
    "dont": "don't",
    "cant": "can't",
    "wont": "won't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "wouldnt": "wouldn't",
    "couldnt": "couldn't",
    "havent": "haven't",
    "whats": "what's",
    "theres": "there's",
    "youre": "you're",
    "theyre": "they're",
    "u": "you",
    "ur": "your",
    "kms": "kill myself",
    "unalive": "kill",
}
_SPELLING_RE = re.compile(r"\b(?:" + "|".join(map(re.escape, _SPELLINGS)) + r")\b")
# "kill my self" is "kill myself"; "my self-harm" and "my self esteem" are not.
_MY_SELF = re.compile(r"\bmy self\b(?![- ]?(?:harm|injur|mutilat|esteem|worth|care|confiden))")
_SPACES = re.compile(r"\s+")


def _normalise(text: str) -> str:
    text = text.translate(_APOSTROPHES).translate(_QUOTES).lower()
    text = _SPELLING_RE.sub(lambda m: _SPELLINGS[m.group(0)], text)
    text = _MY_SELF.sub("myself", text)
    return _SPACES.sub(" ", text).strip()


_SENTENCE = re.compile(r"[^.!?;\n]+[.!?;\n]*")
# Double quotes, or single quotes that are not apostrophes ("i'm", "parents' house").
_QUOTED = re.compile(r'"[^"]*"|(?<![a-z0-9])\'[^\']*\'(?![a-z0-9])')
_WORD = re.compile(r"[a-z0-9][a-z0-9'&-]*")

# --- who is speaking about whom ------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_FIRST: Final = _words("i i'm i've i'd i'll me myself we we're we've we'd we'll")
_SECOND: Final = _words("you you're you've you'd you'll yourself your")
_THIRD: Final = _words(
    "he she they he's she's they're he'd she'd they'd he'll she'll they'll they've "
    "someone somebody anyone anybody everyone everybody nobody people"
)
# Words that may stand before a cue when the subject is left unsaid ("honestly, just
# want to die"); anything else there (a noun, a name) is somebody else.
_FILLERS: Final = _words(
    "honestly just really so and but tbh lol ugh literally sometimes actually still "
    "seriously kinda kind of sort like it it's feels feel there's there is was some "
    "days most lately today tonight now right then maybe i think guess yeah yes no ok "
    "okay well oh god please even already also too"
)
_PERSON_NOUN = (
    r"(?:partner|husband|wife|boyfriend|girlfriend|bf|gf|ex|fiance|fiancee|dad|father|"
    r"mum|mom|mother|stepfather|stepdad|stepmother|stepmum|stepmom|brother|sister|"
    r"uncle|aunt|grandfather|grandad|grandpa|grandmother|grandma|flatmate|roommate|"
    r"housemate|boss|manager|teacher|coach|son|daughter|carer|family|parents?|cousin|"
    r"landlord|neighbou?r|coworker|colleague|pimp|guardian|foster \w+)"
)
_DETERMINER_SUBJECT = re.compile(r"\b(?:my|his|her|their|our|your|the|a|an)(?: [\w'&-]+){1,2}\s*$")
_AGENT = re.compile(
    rf"\b(?:he|she|they|someone|somebody|he's|she's|they're|he'd|she'd|they'd|he'll|"
    rf"she'll|they'll|who)\b|\b(?:my|our|her|his|their|the)\b(?: [\w'-]+)? {_PERSON_NOUN}\b"
)


def _subject(prefix: str, verbal: bool) -> Literal["first", "second", "third", "none"]:
    """Who does the cue that follows ``prefix`` (the sentence up to the cue) belong to."""
    words = _WORD.findall(prefix)
    if words and words[-1] == "my":
        return "first"  # "my suicidal thoughts": the cue is the speaker's own
    if verbal and _DETERMINER_SUBJECT.search(prefix):
        last = prefix.split()[-3:]
        if not any(w in _FIRST for w in last):
            return "third"  # "I think my brother wants to die"
    for word in reversed(words[-15:]):
        if word in _FIRST:
            return "first"
        if word in _SECOND:
            return "second"
        if word in _THIRD:
            return "third"
    if all(w in _FILLERS for w in words):
        return "first"
    return "none"


_NEGATION = re.compile(r"\b(?:not|never|no|nobody|cannot|no-one)\b|n't\b")
_NOT_A_NEGATION = re.compile(
    r"\b(?:can'?t|cannot|couldn'?t|won'?t) (?:stop|help)\b|\bnot sure(?: if| whether)?\b|"
    r"\bdon'?t know(?: if| whether| why| how)?\b|\bnot (?:just|only|joking|kidding)\b|"
    r"\bnever (?:felt|been|wanted) (?:so|more|this)\b|\bno matter\b"
)
_NOT_YET = re.compile(r"\s*(?:yet|so far)\b")
_CLAUSE_BREAK = re.compile(r"[,:;]| (?:but|because|if|when|so|and then|and now|whether|though)\b")


def _negated(prefix: str, rest: str) -> bool:
    """Whether the words just before a cue, in its clause, negate it."""
    if _NOT_YET.match(rest):
        return False  # "I haven't killed myself yet" is not a reassurance
    breaks = list(_CLAUSE_BREAK.finditer(prefix))
    clause = prefix[breaks[-1].end() :] if breaks else prefix
    window = " ".join(_WORD.findall(clause)[-7:])
    # Begin after the last subject pronoun: "nobody would care if I killed myself".
    words = window.split()
    for i in range(len(words) - 1, -1, -1):
        if words[i] in _FIRST or words[i] in _SECOND:
            window = " ".join(words[i + 1 :])
            break
    window = _NOT_A_NEGATION.sub(" ", window)
    return bool(_NEGATION.search(window))


# --- fiction, films, games -----------------------------------------------------------

# Not "scene", "character" or "role play": this is a role-play app, and "in this scene I
# want to die" is the user speaking. A fictional character's own words ("the hero kills
# himself") need no frame: they are third person, which no cue takes for the speaker.
_MEDIA = (
    r"(?:novel|book|movie|film|show|series|episode|screenplay|script|poem|song|lyrics|"
    r"anime|manga|comic|(?<!role )(?<!role-)play|story|stories|game|video ?game|fanfic|"
    r"musical|opera|sitcom|documentary|chapter)"
)
_FICTION = re.compile(
    rf"\b(?:in|on) (?:the|my|this|that|a|his|her|their|our) (?:[\w'-]+ ){{0,2}}{_MEDIA}\b|"
    rf"\b{_MEDIA} (?:is|was|'s) about\b|\b(?:episode|chapter) where\b|"
    r"\b(?:i'm|i am) writing (?:a|the|my) (?:[\w'-]+ )?(?:scene|story|novel|script|"
    r"screenplay|chapter|poem|song)\b|"
    r"\b(?:in|on) (?:minecraft|fortnite|roblox|d&d|dnd|elden ring|dark souls|the sims)\b"
)
_FICTION_OPENING = re.compile(
    rf"^\W*(?:in|on) (?:the|my|this|that|a|his|her|their|our) (?:[\w'-]+ ){{0,2}}{_MEDIA}\b"
)
_QUESTION_OPENING = re.compile(
    r"^\W*(?:have|has|had|do|does|did|are|is|were|was|can|could|would|will|how|what|"
    r"when|who|where|why|on a scale)\b"
)
_YOU = re.compile(r"\b(?:you|your|yourself)\b")


def _asks_you(sentence: str) -> bool:
    """Whether a sentence is a question put to "you" (a clinician's screening question)."""
    is_question = sentence.rstrip().endswith("?") or bool(_QUESTION_OPENING.match(sentence))
    return is_question and bool(_YOU.search(sentence))


def _clause(sentence: str, start: int, end: int) -> str:
    breaks = list(_CLAUSE_BREAK.finditer(sentence, 0, start))
    left = breaks[-1].end() if breaks else 0
    after = _CLAUSE_BREAK.search(sentence, end)
    right = after.start() if after else len(sentence)
    return sentence[left:right]


# --- the cues ------------------------------------------------------------------------

_PILLS = (
    r"(?:pills|tablets|meds|medications?|medicines?|painkillers|sleeping (?:pills|tablets)|"
    r"paracetamol|tylenol|insulin|prescriptions?|antidepressants)"
)
_ACCIDENT = _re(
    r"\b(?:accident(?:al|ally)?|by mistake|while (?:cooking|chopping|shaving|playing|"
    r"working out|hiking|gardening|climbing|fixing|opening|cutting|making)|cooking|chopping|"
    r"shaving|at the gym|workout|playing (?:football|sport|rugby|tennis|with)|tripped|"
    r"fell (?:over|down|off)|slack|a (?:slice|piece|break|drink)|oven|kitchen|"
    r"on (?:a|the|some) (?:stove|pan|tray|iron|grill|nail|glass|fence|edge|paper|can|tin|"
    r"wire|branch|rock|bike|knife|blade of)|off from|by (?:not|staying|being|trying|saying|"
    r"letting|agreeing|overworking|working))\b"
)
# Said with one of these, an injury is deliberate whatever else the sentence mentions.
_PURPOSE = _re(
    r"\b(?:on purpose|deliberately|intentionally|to feel (?:something|anything|better|"
    r"real)|to punish myself|to cope|when i get like this|so i can feel|to make it stop)\b"
)
_LOSS = _re(
    r"\b(?:lost (?:everything|the baby|custody|the house|our (?:baby|home|house|son|daughter)|"
    r"her|him|my (?:job|home|house|flat|apartment|wife|husband|partner|son|daughter|child|"
    r"children|kids|baby|mum|mom|dad|mother|father|brother|sister|friend|best friend|"
    r"business|savings|family|grandmother|grandfather|grandma|grandpa|dog|cat|license|"
    r"licence|visa))|"
    r"(?:got|been|was|were|just) (?:fired|laid off|let go|evicted|dumped|kicked out)|"
    r"(?:fired|laid off|dumped|left|kicked out|cheated on) me|evicted|divorce|"
    r"died|passed away|diagnos(?:ed|is)|bankrupt|foreclos\w*|funeral)\b"
)

# Highest acuity first: the first cue that fires names the category.
_CUES: Final[tuple[_Cue, ...]] = (
    # method: a plan or the means, in the speaker's own hands
    _Cue(
        "stockpiling medication",
        "method",
        _re(
            r"\b(?:stockpil|hoard|stash|sav|collect|squirrel|hid|hide)\w* (?:up )?"
            rf"(?:(?:all|some|enough|my|of|up|these|the|old) )*{_PILLS}\b"
        ),
        "first",
    ),
    _Cue(
        "enough medication saved",
        "method",
        _re(rf"\benough {_PILLS} (?:saved|stored|stashed|put away|hidden|to (?:do it|end|die))"),
        "first",
    ),
    _Cue(
        "asking about a fatal amount",
        "method",
        _re(
            rf"\bhow (?:many|much) (?:of (?:my |the |these )?)?(?:[\w-]+ )?{_PILLS}\b"
            r"[^.?!]{0,30}\b(?:would|will|does|to) (?:it )?(?:take|kill|be (?:too much|fatal|"
            r"lethal|enough))\b|\b(?:lethal|fatal|deadly) (?:dose|amount)\b"
        ),
        "first",
        verbal=False,
    ),
    _Cue(
        "means ready",
        "method",
        _re(
            r"\b(?:razor ?blades?|blades|pills|tablets|rope|noose|gun|knife)\b[^.?!]{0,15}"
            r"\b(?:ready|hidden|set aside|laid out|lined up|counted(?: out)?)\b|"
            r"\b(?:bottle|handful|pile|packet|box)s? of (?:pills|tablets|meds|painkillers)\b"
            r"[^.?!]{0,30}\b(?:in front of me|in my hand|next to me|right here|ready)\b"
        ),
        "first",
        verbal=False,
    ),
    _Cue(
        "knows how",
        "method",
        _re(
            r"\bknow (?:exactly |just )?how (?:i'd|i would|i'll|i will|i'm going to|to) "
            r"(?:do it|end it|go)\b|\b(?:have|got|made|making) (?:a|the) plan\b[^.?!]{0,30}"
            r"\b(?:the means|to (?:do it|end it|die|kill myself)|and the (?:pills|rope|gun))\b|"
            r"\b(?:have|got) the means\b"
        ),
        "first",
    ),
    _Cue(
        "a firearm kept close",
        "method",
        _re(r"\b(?:gun|pistol|revolver|rifle|shotgun|firearm)\b"),
        "first",
        verbal=False,
        needs=_re(
            r"\b(?:under my (?:bed|pillow)|in my (?:room|nightstand|drawer|bag)|loaded|"
            r"from the safe|to my head|in my mouth|need it for long|plan to need|for myself|"
            r"just in case|end it)\b"
        ),
    ),
    _Cue(
        "rope or noose",
        "method",
        _re(
            r"\b(?:rope|cord|belt)\b[^.?!]{0,40}\bknow what (?:it's|it is|its) for\b|"
            r"\b(?:tied|tie|tying|made|making|bought|got) (?:a |the |my )?noose\b|"
            r"\bhang(?:ing)? myself\b"
        ),
        "first",
        verbal=False,
    ),
    _Cue(
        "researching ways",
        "method",
        _re(
            r"\b(?:research\w*|look\w* (?:up|into)|googl\w*|search\w*|read\w* about)\b"
            r"[^.?!]{0,20}\b(?:(?:painless|quick|easy|quickest|easiest|best|surest) )?"
            r"(?:ways?|methods?) (?:to (?:die|go|end it|do it|kill myself)|of (?:dying|suicide))"
        ),
        "first",
    ),
    _Cue(
        "engine running in a garage",
        "method",
        _re(r"\bgarage\b[^.?!]{0,25}\b(?:engine|motor|car) running\b"),
        "first",
    ),
    _Cue(
        "chosen place or date",
        "method",
        _re(
            r"\b(?:picked|chosen|chose|decided on) (?:the |a )?(?:bridge|spot|method|building|"
            r"cliff)\b|\b(?:picked|chosen|chose|set) (?:the|a) (?:date|day|time) to "
            r"(?:do it|end it|die|go)\b"
        ),
        "first",
    ),
    _Cue(
        "at the edge",
        "method",
        _re(
            r"\bedge of (?:the|a) (?:roof|bridge|cliff|platform|building|balcony|rooftop)\b|"
            r"\b(?:stood|standing|stand) on (?:the|a) (?:ledge|railing|parapet)\b"
        ),
        "first",
    ),
    _Cue(
        "already taken",
        "method",
        _re(
            rf"\b(?:took|taken|swallowed|downed|had) (?:a (?:bunch|handful|load|lot|pile) of|"
            rf"all (?:of )?(?:my|the)|too many|loads of|(?:\w+ )?(?:whole|entire) (?:bottle|packet|"
            rf"box) of|\d{{2,}}|twenty|thirty|forty|fifty) {_PILLS}\b"
        ),
        "first",
        unless=_re(r"\b(?:photos?|pictures?|selfies?|notes?|vitamins?)\b"),
    ),
    _Cue(
        "at the edge now",
        "method",
        _re(
            r"\b(?:(?:standing|stood) (?:on|at) (?:the|a) (?:bridge|ledge|roof|rooftop|railing|"
            r"edge|cliff|tracks|parapet)|(?:sitting|sat) (?:on|at) (?:the|a) (?:ledge|railing|"
            r"edge|tracks|parapet))\b[^.?!]{0,20}\b(?:right now|now|"
            r"tonight|again|and (?:i )?(?:want|can't|don't))\b"
        ),
        "first",
    ),
    _Cue(
        "a way of dying, against myself",
        "method",
        _re(
            r"\b(?:drown|drowning|drowned|poison|poisoning|poisoned|shoot|shooting|shot|stab|"
            r"stabbing|suffocate|suffocating|gas|gassing|electrocute|electrocuting|hang|hanging) "
            r"myself\b(?! in the foot)|\bstarv(?:e|ing) myself to death\b"
        ),
        "self",
    ),
    _Cue(
        "means and no trust in myself",
        "method",
        _re(
            r"\b(?:knife|blade|razor|pills|tablets|gun|rope|lighter)\b[^.?!]{0,40}"
            r"\b(?:don't|do not|can't|cannot) trust myself\b"
        ),
        "first",
        verbal=False,
    ),
    _Cue(
        "crashing the car",
        "method",
        _re(
            r"\b(?:crash|crashing|drive|driving|swerve|swerving|steer|steering)\b[^.?!]{0,25}"
            r"\b(?:on purpose|deliberately|into (?:a|the) (?:tree|wall|truck|lorry|river|"
            r"oncoming|bridge|barrier)|off (?:a|the) (?:bridge|cliff|road))\b"
        ),
        "first",
    ),
    _Cue(
        "overdose or jump",
        "method",
        _re(
            r"\b(?:going to|want to|plan(?:ning)? to|thinking about|think about|might|will|"
            r"could|should) (?:just )?(?:overdose|od|take (?:all|every one) (?:of )?"
            r"(?:my|the|these) (?:pills|tablets|meds))\b|"
            r"\b(?:jump|jumping|jumped|step|stepping|stepped|walk|walking|throw myself|"
            r"throwing myself|threw myself|lie down|lying down) "
            r"(?:off|from|in front of|under|onto) "
            r"(?:a|the|this) (?:bridge|roof|building|cliff|train|tracks|balcony|car|bus|lorry|"
            r"truck|tower)\b|\b(?:swallow|swallowing|take|taking|down|downing) (?:everything|all|"
            r"every pill|the whole (?:bottle|packet|box)|a whole (?:bottle|packet|box))\b"
            r"[^.?!]{0,25}\b(?:medicine (?:cabinet|cupboard|box)|pills|tablets|bottle|packet)\b"
        ),
        "first",
    ),
    # suicide: said outright
    _Cue(
        "kill myself",
        "suicide",
        _re(
            r"\bkill(?:s|ing|ed)? myself\b|\b(?:end|ends|ending|ended|take|taking|took) my "
            r"(?:own )?life\b(?! (?:back|savings|story|in(?:to)? my own hands))"
        ),
        "self",
    ),
    _Cue(
        "wants to die",
        "suicide",
        _re(
            r"\b(?:(?:want|wants|wanted|wish|wishing|ready|plan|planning|deserve|would like) "
            r"to|(?:should|might as well|may as well)(?: just)?) die\b"
            r"(?! (?:of|from) (?:embarrassment|boredom|laughter|laughing|"
            r"shame|cringe)| laughing)"
        ),
        "first",
    ),
    _Cue(
        "end it all",
        "suicide",
        _re(
            r"\bend(?:ing)? it all\b|\b(?:want|wish|need|would like|'d like) (?:my life|it all|it|"
            r"everything|all of this|all this) to (?:be over|end|stop)"
            r"(?=\s*(?:[.,!;?]|$|already|now|forever|for good|permanently))|"
            r"\bdo something (?:to myself|stupid to myself)\b"
        ),
        "first",
    ),
    _Cue(
        "ending it",
        "suicide",
        _re(
            r"\bend(?:ing)? (?:it|things|everything)(?= for good| forever| permanently| tonight|"
            r" today| soon| on \w+day| this (?:week|weekend)|\s*(?:[.!;,]|$))"
        ),
        "first",
        unless=_re(
            r"\b(?:with (?:him|her|them|my|[a-z]+)|relationship|break(?:ing)? up|"
            r"marriage|contract|lease|call|meeting|conversation|argument|date|job|fight)\b"
        ),
    ),
    _Cue(
        "done with life",
        "suicide",
        _re(r"\bdone with (?:life|living|being alive|existing|it all)(?=\s*(?:[.,!;?]|$))"),
        "first",
        negatable=False,
    ),
    _Cue(
        "suicidal",
        "suicide",
        _re(
            r"\bsuicidal\b|\b(?:commit(?:ting)?|attempt(?:ing)?|contemplat\w*|consider\w*|"
            r"think\w* (?:about|of)|thoughts? (?:of|about)) suicide\b|\bsuicide (?:note|plan|"
            r"letter)\b"
        ),
        "first",
    ),
    _Cue(
        "wishes to be dead",
        "suicide",
        _re(
            r"\b(?:wish|wished) (?:i (?:was|were)|to be|i'd) (?:dead|never born)\b|"
            r"\b(?:wish|wished) (?:i'd|i had) never been born\b|"
            r"\b(?:rather|better off) (?:be )?dead\b|\bbetter off dead\b"
        ),
        "first",
        negatable=False,
    ),
    _Cue(
        "does not want to live",
        "suicide",
        _re(
            r"\b(?:don't|do not|no longer|never|not sure (?:if |whether )?i|doesn't|didn't) "
            r"(?:really |even |actually |want to |wish to )*(?:want|wish) to (?:live|be alive|"
            r"exist|keep living|be here any ?more|be here much longer)\b"
            r"(?! (?:with|in|at|near|next|on|there|together|abroad|alone|under|without|by|"
            r"for (?:a|the)|like that|through))|"
            r"\b(?:don't|do not|no longer) deserve to (?:live|be alive|exist|be here)\b"
        ),
        "first",
        negatable=False,
    ),
    _Cue(
        "following someone's suicide",
        "suicide",
        _re(r"\b(?:do|doing) the same\b|\b(?:join|follow) (?:him|her|them)\b"),
        "first",
        context=_re(
            r"\b(?:took (?:his|her|their) own life|killed (?:himself|herself|themselves)|"
            r"suicide)\b"
        ),
    ),
    _Cue(
        "cannot go on",
        "suicide",
        _re(
            r"\bcan't (?:go on|keep going|keep living)(?: (?:anymore|any more|like this|"
            r"living))?(?=\s*(?:[.,!;?]|$))"
        ),
        "first",
        negatable=False,
    ),
    # self-harm
    _Cue(
        "hurting myself",
        "self_harm",
        _re(
            r"\b(?:cut|cutting|cuts|burn(?:ed|t|ing|s)?|hurt(?:ing|s)?|harm(?:ing|ed|s)?|"
            r"hit(?:ting|s)?|punish(?:ing|ed|es)?|starv(?:e|ed|ing|es)|scratch(?:ed|ing|es)?|"
            r"punch(?:ed|ing|es)?|bruis(?:e|ed|ing)|injur(?:e|ed|ing)|mutilat(?:e|ed|ing)) "
            r"myself\b"
        ),
        "self",
        unless=_ACCIDENT,
    ),
    _Cue(
        "self-harm",
        "self_harm",
        _re(
            r"\bself[- ]?(?:harm(?:ing|ed)?|injur(?:y|ing|ed)|mutilat\w*)\b"
            r"(?! (?:videos?|content|posts?|awareness|prevention|support|resources?|forums?|"
            r"services?|research|training))"
        ),
        "first",
        verbal=False,
    ),
    _Cue(
        "cutting again",
        "self_harm",
        _re(
            r"\b(?:start(?:ed|ing)?|began|begun|back to|relapsed?(?: into| with)?|urge to|"
            r"feel like|want to|been|keep|kept|still) (?:cutting|burning|scratching)"
            r"(?= again| myself|(?: my)? (?:arms?|wrists?|thighs?|legs?|skin|stomach|body)|"
            r"\s*(?:[.,!;?]|$)| tonight| lately| when)"
        ),
        "first",
    ),
    _Cue(
        "cutting my body",
        "self_harm",
        _re(
            r"\b(?:cut|cutting|slit|slitting|slashed|slashing|slice|sliced|slicing|carve|carved|"
            r"carving|burn|burned|burnt|burning) (?:open )?my (?:wrists?|arms?|forearms?|thighs?|"
            r"legs?|skin|stomach|veins?)\b|"
            r"\b(?:used to|going to|want to|started to|start to|urge to|about to|need to) cut\b"
            r"(?=\s*(?:[.,!;?]|$| again| tonight| myself))"
        ),
        "first",
        unless=_ACCIDENT,
    ),
    _Cue(
        "a blade to the skin",
        "self_harm",
        _re(
            r"\b(?:took|take|taking|put|held|hold) (?:a |the |my )?(?:razor|blade|knife|lighter|"
            r"scissors|compass|glass) (?:to|against|into) my (?:wrists?|arms?|forearms?|"
            r"thighs?|legs?|skin|stomach|body)\b|\bfresh (?:cuts|burns|scars|wounds)\b|"
            r"\bmy (?:wrists?|arms?|forearms?|thighs?|legs?|skin|stomach) with (?:a|the|my) "
            r"(?:razor|blade|razor blade|knife|scissors|compass|lighter|shard)\b|"
            r"\burges? to (?:cut|burn|self[- ]?harm|hurt myself)\b|"
            r"\bpunish(?:ing|ed)? my (?:body|skin)\b"
        ),
        "first",
        verbal=False,
        unless=_ACCIDENT,
    ),
    _Cue(
        "keeping the means",
        "self_harm",
        _re(
            r"\b(?:razor|razors|blades?|lighter|scissors|knife|pills)\b[^.?!]{0,40}"
            r"\b(?:for when (?:it|things) (?:gets?|get) (?:bad|too much|worse)|just in case i "
            r"need (?:it|them))\b"
        ),
        "first",
        verbal=False,
    ),
    _Cue(
        "cut again",
        "self_harm",
        _re(
            r"\b(?:relapsed|relapse)(?: and| with)? (?:cut|cutting|burned|burning|hurt myself)\b|"
            r"\b(?:cut|burned) (?:again|last night|tonight|yesterday)(?=\s*(?:[.,!;?]|$| and|"
            r" but))"
        ),
        "first",
        unless=_ACCIDENT,
    ),
    _Cue(
        "until it bleeds",
        "self_harm",
        _re(
            r"\buntil (?:(?:it|i|they) |my (?:[\w-]+ ){0,2})(?:bleeds?|bled|bruises?|hurts?|"
            r"see stars|pass(?:ed)? out|black(?:ed)? out|"
            r"blister\w*)\b"
        ),
        "first",
        verbal=False,
    ),
    _Cue(
        "on purpose",
        "self_harm",
        _re(
            r"\b(?:cut|burn(?:ed|t)?|hurt|hit|scratch(?:ed)?|bruis(?:ed)?|punch(?:ed)?|bit|"
            r"pull(?:ed)?|pick(?:ed)?|bang(?:ed)?) (?:my|myself)\b[^.?!]{0,50}"
            r"\b(?:on purpose|deliberately|intentionally|with a (?:lighter|cigarette|razor|"
            r"blade|hot)|to (?:feel|punish|cope))\b"
        ),
        "first",
    ),
    _Cue(
        "hiding the marks",
        "self_harm",
        _re(
            r"\blong sleeves\b[^.?!]{0,30}\b(?:cuts|scars|burns|marks|arms)\b|"
            r"\b(?:hide|hiding|cover|covering) (?:up )?(?:the |my )(?:fresh )?(?:cuts|scars|"
            r"burns)\b|\bmy (?:fresh cuts|self-harm scars)\b"
        ),
        "first",
        verbal=False,
    ),
    _Cue(
        "deserves pain",
        "self_harm",
        _re(r"\bdeserve to (?:be hurt|hurt|suffer|feel pain|be punished|bleed|be in pain)\b"),
        "first",
    ),
    # indirect: what people say when they will not say it outright
    _Cue(
        "better off without me",
        "indirect",
        _re(r"\bbetter off without me\b"),
        "self",
        negatable=False,
    ),
    _Cue(
        "if I were gone",
        "indirect",
        _re(
            r"\b(?:better|happier|relieved|easier|simpler|lighter|cheaper|notice|care|miss me|"
            r"matter|mind)\b"
            r"[^.?!]{0,50}\bif i (?:just )?(?:(?:was|were) (?:gone|dead|not (?:here|around|"
            r"alive))|(?:wasn't|weren't) (?:here|around|alive)|died|disappeared(?: for good|"
            r" forever)?|vanished)\b|\bif i (?:just )?(?:died|disappeared|was gone|were gone|"
            r"killed myself)\b[^.?!]{0,40}\b(?:nobody|no one|no-one|anyone|would they|would "
            r"people)\b[^.?!]{0,15}\b(?:care|notice|miss|mind)"
        ),
        "self",
        negatable=False,
    ),
    _Cue(
        "a burden",
        "indirect",
        _re(
            r"\b(?:i'm|i am|feel(?:ing)? like|being) (?:such |a |an |just |nothing but |"
            r"only )*(?:burden|waste of space)\b|\b(?:won't|will not|not going to) be (?:a |an )?"
            r"(?:burden|problem|bother|trouble|nuisance)(?: (?:for|to) (?:anyone|anybody|you|"
            r"everyone|everybody|my family|them))? (?:much longer|for long|anymore|any more|soon)\b"
        ),
        "first",
        negatable=False,
        unless=_re(r"\b(?:notice|resign\w*|quit\w*|handing in|retir\w*|moving (?:out|away))\b"),
    ),
    _Cue(
        "giving things away",
        "indirect",
        _re(
            r"\b(?:giv(?:e|ing|en)|gave) away (?:all |most |some )?(?:of )?my (?:things|"
            r"stuff|belongings|possessions|valuables)\b|"
            r"\bwon't need (?:it|them|this|that|these|those|my [\w-]+) (?:where i'm going|"
            r"when i'm gone|after i'm gone)\b|"
            r"\bgave (?:away )?my (?:dog|cat|pets?|rabbit|bird)s? (?:away |to [\w' ]{1,20})?so "
            r"(?:he|she|they|it)(?:'ll| will) be (?:looked after|taken care of|cared for|safe)\b"
        ),
        "first",
    ),
    _Cue(
        "when I'm gone",
        "indirect",
        _re(
            r"\b(?:when|after|once) i'm (?:gone|dead|no longer (?:here|around))\b"
            r"(?! (?:for|on|to|next|this|tomorrow|over|until|during|away))"
        ),
        "self",
        negatable=False,
    ),
    _Cue(
        "disappear forever",
        "indirect",
        _re(
            r"\b(?:want|wish|need|going) to (?:just )?(?:disappear|vanish|go to sleep|"
            r"sleep|fall asleep|go away)(?: and never come back| forever| for good| permanently)|"
            r"\b(?:want|wish|need) to (?:just )?(?:stop existing|not exist|cease to exist|be gone|"
            r"be dead)\b|\b(?:say|said|saying) goodbye to (?:everything|the world|this world|"
            r"life)\b"
        ),
        "first",
    ),
    _Cue(
        "no future",
        "indirect",
        _re(
            r"\b(?:don't|do not|can't|cannot) see myself (?:making it|being (?:here|around|"
            r"alive)|surviving|lasting|getting through)\b|"
            r"\b(?:to|would|could|i'd|i) (?:just )?not be (?:here|alive|around)\b"
            r"(?! (?:tomorrow|on|for|at|next|when|this|today|tonight|in|until|by|while|if))|"
            r"\bbetter off (?:with me (?:gone|dead|out of the (?:way|picture))|if i'm (?:gone|"
            r"dead))\b"
        ),
        "first",
        negatable=False,
    ),
    _Cue(
        "my own funeral, last words",
        "indirect",
        _re(
            r"\b(?:nobody|no one|no-one) (?:would|will) (?:even )?(?:come to|go to|attend|cry at|"
            r"notice) my funeral\b|\b(?:picture|imagine|imagining|picturing|think about|"
            r"thinking about) my (?:own )?funeral\b|"
            r"\blast time (?:you'll|you will|anyone will|anybody will) (?:ever )?(?:hear from|"
            r"see|talk to) me(?=\s*(?:[.!]|$))|"
            r"\b(?:this is|it's|today is|tonight is) my last (?:day|night|week|weekend)"
            r"(?=\s*(?:[.!]|$)| (?:alive|on earth))"
        ),
        "self",
        negatable=False,
        unless=_re(r"\b(?:job|work|office|company|contract|shift|school|term|notice)\b"),
    ),
    _Cue(
        "never wake up",
        "indirect",
        _re(
            r"\b(?:go to sleep|fall asleep|sleep|close my eyes) and (?:never|not) wake up\b|"
            r"\b(?:never|not|don't|do not) (?:want|wish) to wake up\b"
        ),
        "first",
        negatable=False,
    ),
    _Cue(
        "farewell letters",
        "indirect",
        _re(
            r"\b(?:wrote|written|writing|left) (?:a |my )?(?:letters?|notes?) (?:to|for) "
            r"(?:everyone|everybody|my (?:family|kids|children|parents|wife|husband|partner))\b|"
            r"\bgoodbye (?:letters?|notes?)\b"
        ),
        "first",
        needs=_re(r"\b(?:just in case|goodbye|i love|explain|sorry|after)\b"),
    ),
    _Cue(
        "pain to stop for good",
        "indirect",
        _re(
            r"\b(?:pain|it|everything|this|hurting) to (?:stop|end)\b[^.?!]{0,15}"
            r"\b(?:permanently|forever|for good|for ever)\b|\bmake it (?:all )?stop "
            r"(?:permanently|forever|for good)\b"
        ),
        "first",
        negatable=False,
        verbal=False,
    ),
    _Cue(
        "no point in living",
        "indirect",
        _re(
            r"\b(?:what's the|no|not any|don't see the) point (?:of|in|to) (?:me )?(?:living|"
            r"life|being alive|existing|going on|carrying on|staying alive|being here)\b|"
            r"\bwhat's (?:even )?the point (?:anymore|any more)\b|"
            r"\b(?:life|living) (?:isn't|is not|ain't|is no "
            r"longer) worth (?:living|it|anything)\b|"
            r"\bno (?:reason|point) (?:to|in|for me to) (?:live|"
            r"living|keep going|keep living|go on|going on|carry on|stay alive|be here)\b|"
            r"\bsee (?:any |a |the )?(?:reason|point) (?:to|in|of) (?:keep(?:ing)? going|"
            r"living|go(?:ing)? on|carry(?:ing)? on|be(?:ing)? here|stay(?:ing)? alive)\b|"
            r"\bno way out\b(?! of)"
        ),
        "first",
        negatable=False,
        verbal=False,
    ),
    _Cue(
        "tired of living",
        "indirect",
        _re(
            r"\b(?:tired|sick|exhausted|weary) of (?:being alive|living|life|existing)\b"
            r"(?! (?:in|with|at|like|near|under|on|paycheck|here|there))"
        ),
        "first",
    ),
    _Cue(
        "saying goodbye",
        "indirect",
        _re(
            r"\bsaid my goodbyes\b|\b(?:say|said|saying) (?:my )?goodbyes? to (?:people|everyone|"
            r"everybody|my (?:family|friends))\b"
        ),
        "first",
        unless=_re(
            r"\b(?:leaving|moving|retir\w*|party|trip|holiday|vacation|office|school|"
            r"graduat\w*|abroad|job)\b"
        ),
    ),
    _Cue(
        "preoccupied with death",
        "indirect",
        _re(
            r"\bthink(?:ing)? (?:about|of) (?:death|dying|being dead)\b[^.?!]{0,25}"
            r"\b(?:all the time|a lot|constantly|every day|every night|lately|non-?stop|"
            r"so much)\b|\b(?:obsessed with|preoccupied with) (?:death|dying)\b"
        ),
        "first",
    ),
    _Cue(
        "won't be around",
        "indirect",
        _re(
            r"\bwon't be (?:around|here)(?=\s*(?:[.!;,]|$|(?:much|for) (?:longer|long)|"
            r"anymore|any more|soon))|\b(?:won't|will not|don't think i'll|not going to) be "
            r"(?:here|around|alive) (?:next (?:week|month|year)|tomorrow|by (?:then|the weekend|"
            r"friday|christmas)|much longer|for long)\b"
        ),
        "first",
        negatable=False,
        unless=_re(
            r"\b(?:holiday|vacation|trip|away|travel\w*|leave|conference|office|visiting|"
            r"moving|abroad|off)\b"
        ),
    ),
    _Cue(
        "a loss, then the height of a bridge or building",
        "indirect",
        _re(
            r"\b(?:tallest|highest|how (?:tall|high)|taller than|higher than|height of|"
            r"how far (?:down|up)|roof access|top floor|how many (?:stories|storeys|floors))\b"
        ),
        "self",
        negatable=False,
        needs=_re(
            r"\b(?:bridges?|buildings?|roofs?|rooftops?|towers?|cliffs?|parking (?:garage|"
            r"structure|deck)|garages?|overpass(?:es)?|skyscrapers?|balcon(?:y|ies)|ledges?|"
            r"dams?|golden gate)\b"
        ),
        context=_LOSS,
    ),
    # danger from another person
    _Cue(
        "threat if I leave",
        "harm_from_others",
        _re(
            r"\b(?:said|says|told me|threaten(?:ed|s|ing)?|swore|promised|warned(?: me)?)\b"
            r"[^.?!]{0,25}\b(?:kill|hurt|stab|shoot|find|get|strangle|beat|take the kids|"
            r"break (?:my|me))"
            r"(?: me)?\b[^.?!]{0,20}\bif i (?:ever )?(?:leave|left|go to|went to|tell|told|"
            r"call|called|report|reported|try|tried|break up|run|ran|talk|talked|speak|"
            r"(?:take|took) (?:the|my|our) (?:kids|children|baby|son|daughter)|see|saw|date|"
            r"go out with|come out|came out)\b|"
            r"\bif i (?:ever )?(?:leave|left|tell|told|go to the police|call the police|"
            r"report|break up)\b[^.?!]{0,30}\b(?:kill|hurt|find|beat|stab|shoot) me\b|"
            r"\bif i (?:ever )?(?:leave|left|tell|told|go to the police|call the police|report|"
            r"break up|see|date|come out|came out)\b[^.?!]{0,40}"
            r"\b(?:he|she|they)(?:'ll|'d| will| would)\b"
            r"[^.?!]{0,30}\b(?:kill|hurt|burn|beat|stab|shoot|break|destroy|hit|find me|make me "
            r"pay|with me in it|take the kids)\b|"
            r"\bsaid i'?ll (?:be sorry|regret (?:it|this|leaving))\b|"
            r"\b(?:he|she|they)(?:'ll|'d| will| would| is going to|'s going to) (?:kill|hurt|"
            r"beat|stab|shoot|strangle) me if i (?:ever )?(?:tell|leave|go|call|report|talk|"
            r"speak|try|break up|see)\b"
        ),
        "self",
    ),
    _Cue(
        "threatened me",
        "harm_from_others",
        _re(
            r"\bthreaten(?:ed|s|ing)? (?:me|to (?:kill|hurt|stab|shoot|beat|strangle|burn|rape)"
            r" me)\b|\bthreaten(?:ed|s|ing)? (?:me )?with (?:a |the )?(?:knife|gun|weapon|bat|"
            r"hammer)\b|\b(?:hands?|arm) (?:around|round|on) my (?:neck|throat)\b|"
            r"\bthreaten(?:ed|s|ing)? to kill (?:himself|herself|themselves) and "
            r"(?:me|us|the kids)\b|"
            r"\b(?:not allowed to|can't|cannot) (?:leave the (?:house|flat)|go out|see my "
            r"(?:friends|family)) without (?:his|her|their) permission\b|"
            r"\b(?:nobody|no one|no-one|they|police) (?:will|would|'ll|wouldn't|won't) "
            r"(?:ever )?(?:ever )?find (?:my|your) body\b"
        ),
        "self",
    ),
    _Cue(
        "violence against me",
        "harm_from_others",
        _re(
            r"\b(?:hits?|hitting|beats?|beating|beaten|slap(?:s|ped|ping)?|punch(?:es|ed|ing)?|"
            r"kick(?:s|ed|ing)?|chok(?:es|ed|ing)|strangl(?:es|ed|ing)|push(?:es|ed)|"
            r"shov(?:es|ed)|rap(?:es|ed)|molest(?:s|ed)|assault(?:s|ed)|abus(?:es|ed|ing)|"
            r"attack(?:s|ed)|hurt(?:s|ing)?|burn(?:s|ed)|drag(?:s|ged)|grab(?:s|bed)|throws?|"
            r"threw|locks?|locked) me\b(?! (?:off guard|out of (?:the|a) (?:game|loop)|as|"
            r"like|(?:a|an) (?:coffee|drink|pillow|surprise|present|gift|beer|sandwich|"
            r"party|bite|snack|seat|chair|bone|curveball|line)|with a (?:pillow|question|"
            r"surprise|compliment)|hard|that))|"
            r"\btouch(?:es|ed|ing)? me\b(?=[^.?!]{0,40}\b(?:not to tell|don't tell|secret|"
            r"inappropriately|at night)\b)|\b(?:keeps?|kept|been|is|are) (?:following|"
            r"stalking) me\b|\bstalk(?:s|ed|ing) me\b|"
            r"\b(?:throws?|threw|throwing) (?:things|stuff|plates|[\w]+) at me\b|"
            r"\b(?:slams?|slammed|pins?|pinned|shakes|shook|bites|bit|spits on|spat on) me "
            r"(?:against|down|to|on|into|until|when|and|so)\b|"
            r"\b(?:follows?|followed|following) me (?:to work|home|everywhere|to school)\b|"
            r"\bwaits? (?:outside|for me outside) my (?:flat|house|home|work|door|school)\b|"
            r"\b(?:forces?|forced|makes?|made|pressures?|pressured) me (?:to )?(?:have sex|do "
            r"sexual|sleep with|into sex|perform)\b|"
            r"\b(?:broke|broken|fractured|bruised|split|cracked) my (?:nose|ribs?|arm|jaw|wrist|"
            r"lip|eye socket|cheekbone)\b|"
            r"\b(?:comes?|came|coming|gets?|got) (?:into|in) my (?:room|bed)\b(?=[^.?!]{0,40}"
            r"\b(?:at night|who to tell|don't tell|not to tell|secret|scared|afraid)\b)|"
            r"\b(?:won't|doesn't|does not|will not) let me (?:leave the (?:house|flat|"
            r"apartment)|leave home|see my (?:friends|family)|have my phone)\b"
        ),
        "agent",
    ),
    _Cue(
        "afraid for my safety",
        "harm_from_others",
        _re(
            rf"\b(?:scared|afraid|terrified|frightened) (?:to go (?:back )?(?:home|to the "
            rf"(?:house|flat|apartment))|to go back(?: there)?(?=\s*(?:[.,!;?]|$))|of "
            rf"(?:him|her|my {_PERSON_NOUN}(?!'s))|for my (?:life|safety)|(?:he|she|they)"
            r"(?:'ll| will|'d| would|'s going to| is going to) (?:hurt|kill|hit|beat|do worse|"
            r"come back|find me|find out where i (?:live|am|work)))\b|"
            r"\b(?:don't|do not|never) feel safe (?:at home|with "
            r"(?:him|her|them)|around (?:him|her|them)|in my (?:own )?(?:home|house))\b|"
            r"\bnot safe at home\b|\b(?:fear|feared) for my (?:life|safety)\b"
        ),
        "first",
        negatable=False,
    ),
)


# --- the screen ----------------------------------------------------------------------


def _fires(cue: _Cue, sentence: str, match: re.Match[str], fiction: bool) -> bool:
    deliberate = cue.category == "self_harm" and _PURPOSE.search(sentence)
    if cue.unless is not None and cue.unless.search(sentence) and not deliberate:
        return False
    if cue.needs is not None and not cue.needs.search(sentence):
        return False
    if fiction and _FICTION.search(_clause(sentence, match.start(), match.end())):
        return False
    prefix = sentence[: match.start()]
    if cue.anchor == "first":
        if _subject(prefix, cue.verbal) != "first":
            return False
    elif cue.anchor == "agent":
        if not _AGENT.search(prefix):
            return False
    elif _subject(prefix, verbal=False) == "second" and _asks_you(sentence):
        return False
    return not (cue.negatable and _negated(prefix, sentence[match.end() :]))


def screen(text: str, previous: str | None = None) -> Screening:
    """Screen one user line for signs of crisis; ``previous`` is the user's last line.

    Returns a :class:`Screening`: ``flagged`` says whether to pause the role-play,
    ``category`` says why, ``matched`` names the cue (never the user's words).
    """
    norm = _normalise(text or "")
    if not norm:
        return _CLEAR
    context = norm + " " + _normalise(previous) if previous else norm
    sentences = []
    for raw in _SENTENCE.findall(norm):
        fiction = bool(_FICTION.search(raw))
        if fiction or _asks_you(raw):
            raw = _QUOTED.sub(" ", raw)
        if fiction and _FICTION_OPENING.search(raw):
            # "In the novel, ..." frames its first clause; what follows a break may be
            # the speaker again ("In the film there was a suicide, and now I ...").
            rest = _CLAUSE_BREAK.search(raw)
            raw = raw[rest.start() :] if rest else ""
        sentences.append((raw.strip(), fiction))
    for cue in _CUES:
        if cue.context is not None and not cue.context.search(context):
            continue
        for sentence, fiction in sentences:
            for match in cue.pattern.finditer(sentence):
                if _fires(cue, sentence, match, fiction):
                    return Screening(flagged=True, category=cue.category, matched=cue.name)
    return _CLEAR


# --- what the program says when it pauses ---------------------------------------------

REGIONS: Final[tuple[str, ...]] = ("US", "UK", "IE", "INTL")
_REGION_ALIASES: Final = {
    "USA": "US",
    "GB": "UK",
    "NI": "UK",
    "ROI": "IE",
    "IRELAND": "IE",
    "INTERNATIONAL": "INTL",
    "WORLD": "INTL",
}

_LIFELINE_988: Final = {
    "name": "988 Suicide & Crisis Lifeline",
    "contact": "Call or text 988",
    "region": "US",
    "detail": "Free and confidential, 24 hours a day.",
}
_SAMARITANS: Final = {
    "name": "Samaritans",
    "contact": "Call 116 123",
    "region": "UK & ROI",
    "detail": "Free, any time, day or night, in the UK and the Republic of Ireland.",
}
_DIRECTORY: Final = {
    "name": "Find A Helpline",
    "contact": "findahelpline.com",
    "region": "International",
    "detail": "A directory of free, confidential helplines in many countries.",
}


def _emergency(contact: str, region: str) -> dict[str, str]:
    return {
        "name": "Emergency services",
        "contact": contact,
        "region": region,
        "detail": "If you are in immediate danger, call your local emergency number now.",
    }


_BY_REGION: Final = {
    None: (
        _LIFELINE_988,
        _SAMARITANS,
        _DIRECTORY,
        _emergency("Call your local emergency number", "Everywhere"),
    ),
    "US": (_LIFELINE_988, _DIRECTORY, _emergency("Call 911", "US")),
    "UK": (_SAMARITANS, _DIRECTORY, _emergency("Call 999", "UK")),
    "IE": (_SAMARITANS, _DIRECTORY, _emergency("Call 112 or 999", "Ireland")),
    "INTL": (_DIRECTORY, _emergency("Call your local emergency number", "Everywhere")),
}


def crisis_resources(region: str | None = None) -> list[dict[str, str]]:
    """Where to find a person to talk to now; nothing is fetched.

    ``region`` is one of :data:`REGIONS` (case-insensitive); without it,
    ``$REHEARSE_CRISIS_REGION`` decides, and without that the list covers the US, the UK
    and Ireland and points everyone else to an international directory. An unknown region
    gives that default list rather than an error: this runs when someone may be in crisis.
    """
    chosen = region if region is not None else os.environ.get("REHEARSE_CRISIS_REGION")
    key = (chosen or "").strip().upper() or None
    key = _REGION_ALIASES.get(key, key) if key else None
    entries = _BY_REGION.get(key, _BY_REGION[None])
    return [dict(entry) for entry in entries]


SAFETY_MESSAGE: Final = """\
Rehearse here, stepping out of the role-play. The practice is paused.

Something you wrote made me want to check in with you. If things feel hard or unsafe \
right now, you don't have to handle it alone; a real person can help:

{resources}

Are you safe right now?

If you are safe, you can choose to end the session here or carry on with the practice \
when you're ready. If you are not safe, please stop and contact one of the services \
above, or your local emergency number, now."""


def safety_message(region: str | None = None) -> str:
    """:data:`SAFETY_MESSAGE` with the crisis resources for ``region`` filled in."""
    lines = [
        f"- {r['name']} ({r['region']}): {r['contact']}. {r['detail']}"
        for r in crisis_resources(region)
    ]
    return SAFETY_MESSAGE.format(resources="\n".join(lines))
