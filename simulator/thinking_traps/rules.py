"""The cues of each thinking trap, as regular expressions over a lower-cased thought.

Each :class:`Rule` names its trap and says whether a negation just before it ("not",
"don't", "isn't") cancels it ("it's *not* the end of the world") and whether a hedge
("maybe", "might") does ("maybe she *thinks* I'm rude" is a question, not mind reading).
The patterns were written and tuned on ``tests/data/thinking_traps/dev.jsonl`` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["RULES", "Rule"]


@dataclass(frozen=True)
class Rule:
    trap: str
    pattern: re.Pattern[str]
    negatable: bool = True
    hedgeable: bool = False
    # Words just before the cue that make it someone else's words or another trap:
    # "they think *I'm useless*" reports a thought (mind reading), it is not a label.
    not_after: re.Pattern[str] | None = None


def _r(text: str) -> re.Pattern[str]:
    return re.compile(text)


# Words a person uses to sum someone up. "bad mother" and friends are labels too.
_LABELS = (
    r"idiot|failure|loser|fraud|joke|disappointment|burden|coward|fool|moron|disgrace|"
    r"waste of space|nobody|freak|wreck|embarrassment|mess|useless|stupid|worthless|pathetic|"
    r"lazy|weak|hopeless|unlovable|boring|ugly|dumb|incompetent|naive|broken|selfish|"
    r"disgusting|hopeless case|unemployable|unlikeable|unlikable|screw-?up|imposter|impostor|"
    r"bad (?:person|mother|father|"
    r"parent|friend|partner|son|daughter|wife|husband)|terrible (?:person|mother|father|"
    r"parent|friend|partner)|horrible person|awful person"
)
_FILLER = (
    r"(?:just|such|so|really|a|an|the|total|complete|completely|utter|utterly|totally|"
    r"absolute|absolutely|basically|truly|pretty|too|officially|nothing but|always|still|"
    r"being|a total|a complete)"
)
_I_AM = r"\b(?:i am|i'm|im)\b"
# One word inside a cue that is not a negation: "they *don't* think I'm" is no cue.
_W = r"(?: (?!not\b|never\b|no\b)(?![\w']+n't\b)[\w']+)"
_OTHER = (
    r"(?<!')(?!i\b)(?:he|she|they|everyone|everybody|people|others|nobody|no one|my \w+|"
    r"the \w+|\w+)"
)
_FEELINGS = (
    r"sad|anxious|angry|lonely|alone|terrified|scared|afraid|ashamed|guilty|depressed|"
    r"miserable|hopeless|embarrassed|worried|stressed|overwhelmed|frustrated|upset|nervous|"
    r"panicking|panicked|devastated|heartbroken|jealous|furious|hurt|humiliated|empty|numb|"
    r"exhausted|awkward|down|low|dread\w*|despair\w*|unhappy|resentful|bitter|tense|"
    r"on edge|sick with worry|panic|disappointed in myself|disgusted with myself"
)
_FUTURE = (
    r"(?:i'll|i will|i'm going to|i am going to|im going to|i'm gonna|it'll|it will|"
    r"it's going to|it is going to|they'll|they will|they're going to|she'll|he'll|"
    r"she's going to|he's going to|she will|he will|we'll|we will|this will|that will|"
    r"everyone will|people will|you'll|going to|gonna|bound to|"
    r"(?:my \w+|the \w+|nobody|no one) (?:will|'ll|is going to|are going to))"
)
_BAD_OUTCOME = (
    r"fail\w*|mess\w* (?:it |this |things |everything )?up|screw\w* (?:it |this )?up|"
    r"blow it|go (?:badly|wrong|terribly|horribly)|goes? wrong|freeze|forget|"
    r"embarrass\w*|humiliat\w*|say no|turn me down|reject\w*|laugh\w*|hate|leave me|"
    r"dump me|fire me|lose|never|be (?:awful|terrible|a disaster|horrible|bad|a mess|"
    r"boring|alone|awkward|a failure|useless|worse|last)|end badly|talk about (?:it|me)|"
    r"notice|judge|think i'm|see (?:right )?through|find out|regret|ruin|not (?:get|be|"
    r"work|last|like|want|make|pass|cope|manage)|won't|crash|break down|let \w+ down|"
    r"cry|panic|stutter|go blank|collapse|hurt"
)

RULES: tuple[Rule, ...] = (
    # all-or-nothing thinking -----------------------------------------------------------
    Rule(
        "all-or-nothing thinking",
        _r(
            r"\b(?:complete|total|utter|absolute)(?:ly)?\s+(?:\w+\s+)?(?:failure|failed|"
            r"disaster|waste|flop|loss|ruined|useless|worthless|pointless|terrible|"
            r"over|hopeless|write-off)\b"
        ),
    ),
    Rule("all-or-nothing thinking", _r(r"\beither\b[^.;!?]{1,60}\bor\b")),
    Rule(
        "all-or-nothing thinking",
        _r(
            r"\bthe (?:whole|entire) (?:\w+ ){0,2}(?:is|was|will be|'s|are|were) (?:a |now )?"
            r"(?:failure|ruined|wasted|pointless|over|write-off|disaster|waste|worthless|"
            r"for nothing)\b"
        ),
    ),
    Rule(
        "all-or-nothing thinking",
        _r(r"\bnothing\b[^.,;!?]{0,30}\b(?:right|works?|good enough|goes well|turns out)\b"),
    ),
    Rule(
        "all-or-nothing thinking",
        _r(
            r"\b(?:ruin(?:ed|s)?|wreck(?:ed|s)?|spoil(?:ed|t|s)?) (?:it all|everything)\b"
            r"|\beverything (?:is|was|'s) (?:ruined|wrong|a mess|pointless|over|wasted)\b"
        ),
    ),
    Rule("all-or-nothing thinking", _r(r"\bmight as well (?:not|give up|quit|stop)\b")),
    Rule(
        "all-or-nothing thinking",
        _r(
            r"\banything (?:less|short) (?:than|of)\b|\b(?:i'm|i am) nothing\b|\bit's all "
            r"(?:ruined|wasted|over|pointless)\b|\b(?:completely|totally|entirely) (?:ruined|"
            r"wrong|useless|pointless|wasted|failed)\b"
        ),
    ),
    Rule("all-or-nothing thinking", _r(r"\bno point\b[^.;!?]{0,30}\bat all\b")),
    Rule(
        "all-or-nothing thinking",
        _r(
            r"\bif (?:it'?s|it is|it was|it isn'?t|i'?m|i am) not perfect\b"
            r"|\b(?:wasn'?t|isn'?t|not) perfect,? (?:so|then|which means|means)\b"
            r"|\bperfect(?:ly)?\b[^.;!?]{0,25}\bor\b|\ball or nothing\b|\b100 ?%"
        ),
        negatable=False,
    ),
    Rule(
        "all-or-nothing thinking",
        _r(
            r"\bso (?:it|this|that|the whole \w+|everything)(?: is|'s| was) (?:all )?"
            r"(?:worthless|pointless|useless|a failure|ruined|wasted|for nothing)\b"
        ),
    ),
    Rule(
        "all-or-nothing thinking",
        _r(
            r"\bone (?:\w+ ){0,2}(?:mistake|typo|error|slip|review|bad \w+|wrong \w+)\b"
            r"[^.;!?]{0,30}\b(?:means|so the whole|ruins)\b"
        ),
    ),
    Rule(
        "all-or-nothing thinking",
        _r(r"\b(?:good|right|any good) (?:at|about) (?:anything|nothing)\b|\bgood for nothing\b"),
    ),
    # overgeneralising -------------------------------------------------------------------
    Rule(
        "overgeneralising",
        _r(
            r"(?<!should )(?<!must )\balways\b|\bevery (?:single )?time\b|\beverytime\b"
            r"|\beach time\b"
            r"|\ball the time\b|\bconstantly\b|\bagain and again\b|\bevery day\b"
            r"|\bevery (?:single )?(?:relationship|job|date|friend|one of|person|thing)\b"
        ),
    ),
    Rule(
        "overgeneralising",
        # "never" about the past or a habit; "I'll never" is a prediction (fortune telling)
        # unless it draws a rule from one event ("so I'll never be able to").
        _r(
            r"(?<!'ll )(?<!will )(?<!must )(?<!should )\bnever\b(?! going to\b)(?! gonna\b)"
            r"|\bso i'll never\b|\bnever be able to\b"
        ),
    ),
    Rule(
        "overgeneralising",
        _r(
            r"\b(?:nobody|no one|no-one|nothing|everyone|everybody|people)\b(?: \w+)?"
            r" (?:ever|always|wants?|likes?|cares?|listens?|loves?|leaves?|understands?|"
            r"notices?|works? out)\b"
        ),
    ),
    Rule("overgeneralising", _r(r"\bthings never\b")),
    Rule(
        "overgeneralising",
        _r(r"\b(?:all|every) (?:men|women|people|bosses|guys|girls|managers) (?:are|is)\b"),
    ),
    # labelling --------------------------------------------------------------------------
    Rule(
        "labelling",
        _r(rf"{_I_AM}(?:\s+{_FILLER})*\s+(?:{_LABELS})\b"),
        not_after=_r(
            r"\b(?:think|thinks|thought|believe|believes|see|sees|say|says|said|"
            r"tell|could tell|can tell)\b"
        ),
    ),
    Rule("labelling", _r(rf"\bi feel like (?:a|an) (?:\w+ )?(?:{_LABELS})\b")),
    Rule("labelling", _r(rf"\bi must be (?:a |an |so |such an? )?(?:{_LABELS})\b")),
    Rule(
        "labelling",
        _r(
            rf"{_I_AM} (?:just )?such an? \w+|{_I_AM} an? (?:complete|total|absolute|utter) "
            r"\w+|\bwhat an? (?:\w+ )?(?:idiot|loser|fool|failure|moron|mess|joke) i am\b"
        ),
        not_after=_r(r"\b(?:think|thinks|thought|believe|believes|say|says|said)\b"),
    ),
    Rule(
        "labelling",
        _r(
            r"\b(?:he|she|they|my \w+|\w+)(?:'s| is| are|'re)(?:\s+(?:just|such|so|a|an|"
            r"total|complete|really|the))*\s+(?:\w+\s+)?(?:jerk|idiot|loser|narcissist|bully|"
            r"monster|selfish|lazy person|hopeless|useless|moron|psycho)\b"
        ),
    ),
    # fortune telling --------------------------------------------------------------------
    Rule(
        "fortune telling",
        _r(rf"{_FUTURE}\b(?: \w+){{0,4}}? (?:{_BAD_OUTCOME})\b"),
        hedgeable=True,
    ),
    Rule(
        "fortune telling",
        _r(
            r"\b(?:nobody|no one|no-one) (?:will|is going to) ever\b"
            r"|\b(?:won't|will not|wouldn't) (?:work|last|pick|like|want|get|happen|hire|"
            r"accept|choose|help|care|call|come|change|love)\b"
        ),
        hedgeable=True,
    ),
    Rule(
        "fortune telling",
        _r(
            r"\bi'?m (?:sure|certain) (?:it|they|i|she|he|we)"
            r"(?:'ll| will| won't| are going| is going)"
            r"|\bi (?:just )?know (?:it|i|they|she|he)(?:'ll| will| is going| are going|'s going"
            r"|'re going)|\bi just know it\b|\bwhy bother\b|\bno point (?:in )?(?:applying|"
            r"trying|asking|going|bothering)\b|\bnever going to\b|\bnot going to (?:work|"
            r"happen|get better)\b"
        ),
        hedgeable=True,
    ),
    Rule(
        "fortune telling",
        _r(
            r"\b(?:tomorrow|today|tonight|it|this|next week) will be (?:awful|terrible|a disaster"
            r"|horrible|bad|a nightmare|hell)\b"
        ),
        hedgeable=True,
    ),
    # mind reading -----------------------------------------------------------------------
    Rule(
        "mind reading",
        _r(
            rf"\b{_OTHER}{_W}{{0,3}}? (?:thinks?|thought|believes?|knows?|"
            r"could tell|can tell|can see|could see|noticed|judg\w+|finds?|found|considers?)"
            r"(?: that)? (?:i|i'm|i am|i was|me)\b"
        ),
        hedgeable=True,
    ),
    Rule(
        "mind reading",
        _r(
            r"\b(?:he|she|they|everyone|people|my \w+|the \w+)(?: \w+)? (?:must|probably|"
            r"obviously|clearly) (?:be |have been |think |thinks? |feel |)(?:\w+ )?(?:angry|"
            r"annoyed|mad|upset|bored|sick of|fed up|disappointed|laughing|judging|hates?|"
            r"pities|pity|furious|tired of|regrets?|think|thinks)\b"
        ),
        hedgeable=True,
    ),
    Rule(
        "mind reading",
        _r(
            r"(?<!\bi )(?<!\bi really )\b(?:hates?|can't stand|doesn't like|don't like|"
            r"doesn't want|don't want|"
            r"(?:is|are|'re|'s) sick of|(?:is|are|was|were) (?:bored|annoyed|fed up|tired) "
            r"(?:of|with|by)|(?:is|are|'re|'s) (?:judging|laughing at)|looks? down on) "
            r"(?:me|my)\b"
        ),
        hedgeable=True,
    ),
    Rule("mind reading", _r(r"\bi can tell (?:they|he|she|my|everyone|people)\b"), hedgeable=True),
    Rule(
        "mind reading",
        _r(
            r"\b(?:she|he|they|everyone|people)(?:'s|'re| is| are)(?: so| really| all)? (?:mad|"
            r"angry|annoyed|upset|disappointed|furious|fed up|cross) (?:at|with) me\b"
            r"|\b(?:are|is|'re|'s) (?:all )?(?:staring|looking) at me\b"
            r"|\b(?:doesn't|don't|didn't) (?:respect|care about|trust|believe) me\b"
            r"|\bsecretly (?:think|thinks|hate|hates|laugh|laughing)\b"
            r"|\b(?:talking|gossiping|whispering|laughing) about me\b"
        ),
        hedgeable=True,
    ),
    # emotional reasoning ----------------------------------------------------------------
    Rule(
        "emotional reasoning",
        _r(
            r"\b(?:i feel|i'm feeling|i am feeling|it feels|feeling)\b[^.;!?]{0,50}?"
            r"\b(?:so|therefore|which means|that means|means|then)\b[^.;!?]{0,40}?"
            r"\b(?:must|am|is|are|definitely|really|true|does|do)\b"
        ),
    ),
    Rule(
        "emotional reasoning",
        _r(
            r"\bbecause i (?:feel|felt)\b[^.;!?]{0,60}\bmust\b"
            r"|\bi'?m (?:scared|afraid|anxious|nervous|worried|frightened),? so\b"
            r"|\bmy gut (?:says|tells|knows)\b|\bfeels? (?:true|real|right),? so\b"
            r"|\bif i feel\b[^.;!?]{0,40}\b(?:it must|must be|then it)\b"
        ),
    ),
    # should statements ------------------------------------------------------------------
    Rule(
        "should statements",
        _r(
            r"(?<!^)\b(?:should|shouldn't|should've|should not|ought to|oughtn't|supposed to)\b"
            r"|^(?:should|shouldn't)\b(?! i\b)(?! we\b)"
        ),
    ),
    Rule(
        "should statements",
        _r(
            r"\b(?:i|we|you|people|everyone) must(?:n't| not)? (?:never|always|not|get|do|make|"
            r"keep|finish|be (?:perfect|strong|liked|the best|in control|better|good|able))\b"
        ),
    ),
    Rule(
        "should statements",
        _r(
            r"\b(?:have|has|need|needs|got) to be (?:\w+ )?(?:perfect|liked|the best|strong|"
            r"in control|right|better|happy|good at everything|the strong one|everything)\b"
        ),
    ),
    # personalising ----------------------------------------------------------------------
    Rule(
        "personalising",
        _r(
            r"\b(?:all )?my fault\b|\bbecause of me\b|\bdown to me\b|\bi'?m (?:to blame|the "
            r"reason|responsible for (?:his|her|their|the|how))\b|\bi am (?:to blame|the reason)\b"
        ),
    ),
    Rule(
        "personalising",
        _r(
            r"\b(?:something|what|anything) i (?:said|did|wrote)\b|\bif only i\b|\bi must have "
            r"(?:done|said|upset|made|caused)\b|\bi (?:made|make) (?:him|her|them|everyone) "
            r"(?:upset|leave|angry|sad|cry|unhappy|drink|miserable)\b"
            r"|\bi (?:ruined|spoiled|spoilt|wrecked) (?:it|the|his|her|their|our)\b"
            r"|\bi let (?:the \w+ |the whole \w+ |everyone |them |him |her |you |my \w+ )down\b"
        ),
    ),
    Rule(
        "personalising",
        _r(
            r"\bbecause i(?:'m| am)? (?:a bad|a terrible|not good|wasn't|didn't|organi[sz]ed|"
            r"was(?:n't)? there|said|did|picked|chose|planned|invited)\b"
        ),
    ),
    # disqualifying the positive -----------------------------------------------------------
    Rule(
        "disqualifying the positive",
        _r(
            r"\b(?:just|only|pure|sheer|dumb)\s+(?:\w+\s+)?(?:luck|lucky|a fluke)\b|\bfluke\b"
            r"|\banyone could (?:have )?(?:do|done|did|pass|get)\w*\b"
            r"|\bcount (?:for )?(?:anything|nothing|much)\b|\bmeans? nothing\b"
            r"|\bfelt sorry for me\b|\bhave to say (?:that|it|so)\b"
            r"|\b(?:they|she|he) (?:give|gives) (?:it|that) to everyone\b"
            r"|\bgot lucky\b|\bonly (?:got|passed|won|did) [^.;!?]{0,25}because\b"
            r"|\bbut (?:that|it|this)(?:'s| is| was) (?:only|just|nothing)\b|\banyone can\b"
        ),
        negatable=False,
    ),
    Rule(
        "disqualifying the positive",
        _r(r"\b(?:doesn't|does not|didn't|did not|don't) (?:really )?count\b"),
        negatable=False,
    ),
    Rule(
        "disqualifying the positive",
        _r(
            r"\b(?:they|she|he|people|you)(?:'re| are|'s| is| was| were) (?:just |only )"
            r"(?:being )?(?:nice|polite|kind|saying|humouring|humoring)\b"
            r"|\bonly (?:said|says|say) (?:that|it|nice)\b"
            r"|\bbecause (?:it|the \w+|that) was (?:easy|simple|nothing)\b"
        ),
    ),
    # catastrophising ----------------------------------------------------------------------
    Rule(
        "catastrophising",
        _r(
            r"\b(?:disaster|disastrous|catastroph\w*|end of the world|unbearable|nightmare|"
            r"never recover|worst (?:thing|case|day|possible|ever)|lose everything|"
            r"end up (?:homeless|alone|on the street|with nothing|in hospital)|heart attack|"
            r"(?:going to|will|'ll|gonna) die|dying|tumou?r|cancer|fall(?:s|ing)? apart|"
            r"never forgive|be fired|get fired|lose my job|be ruined|all over for me|"
            r"the worst|falling apart|never get over|can't go on|lose (?:my house|everyone|"
            r"everything))\b"
        ),
    ),
    Rule(
        "catastrophising",
        _r(
            r"\bcan(?:'t|not)(?: \w+)? (?:cope|bear|handle|survive|stand|take (?:it|this))\b"
            r"|\bcouldn't (?:cope|bear|survive)\b"
        ),
        negatable=False,
    ),
    Rule(
        "catastrophising",
        _r(
            r"\b(?:career|life|world|future|love life|relationship)(?: is| will be| would be|'s|"
            r" is going to be) (?:completely |totally )?(?:over|ruined|finished|destroyed)\b"
            r"|\b(?:will|would|is going to|'ll) (?:ruin|destroy) my (?:life|career|future)\b"
        ),
    ),
    # comparing and despairing -------------------------------------------------------------
    Rule(
        "comparing and despairing",
        _r(
            r"\bthan (?:me|i (?:am|do|will|could|ever|have))\b|\beveryone else\b|"
            r"\bother (?:people|parents|students|kids|mums|moms|dads|women|men|people's|"
            r"couples|candidates|writers|artists)\b|\ball my friends\b|\bcompared (?:to|with)\b"
            r"|\bwhy can't i be (?:as|like)\b|\bi'?m the only one\b|\bi am the only one\b"
            r"|\bunlike (?:me|everyone)\b|\bbetter life\b|\b(?:everyone|people|friends) "
            r"(?:of )?my age\b|\bahead of me\b|\bnot as \w+ as\b|\bas (?:good|smart|pretty|"
            r"successful|talented|confident|thin|rich|happy|popular|organi[sz]ed|clever|"
            r"funny|attractive) as (?!i\b)(?!usual\b)(?!ever\b)"
        ),
    ),
    Rule(
        "comparing and despairing",
        _r(
            r"\b(?:and|but|while|whereas) (?:i'm|i am|im) (?:still|just|only|stuck)\b"
            r"|\b(?:she|he|they|my \w+) (?:got|has|have|had)\b[^.;!?]{1,30}\band i "
            r"(?:only |just |still )?"
            r"(?:got|have|had|am)\b|\b(?:she|he|they)(?:'s| is| are|'re) (?:so much |much |way |"
            r"so )?(?:better|smarter|prettier|more \w+|further|thinner|richer|happier) "
            r"(?:than|at)\b"
        ),
    ),
    # blaming ----------------------------------------------------------------------------
    Rule(
        "blaming",
        _r(
            r"\b(?:his|her|their|your|my \w+'s|\w+'s) fault\b|\bbecause of (?:him|her|them|my "
            r"\w+|the \w+|you|his|her|their)\b|\b(?:is|are|'re|'s) (?:the reason (?:i|we)|to "
            r"blame)\b|\blet (?:me|us) down\b|\bthanks to (?:him|her|them|my \w+|the \w+)\b"
            r"|\bif it (?:weren't|wasn't|were not|was not) for (?:him|her|them|my \w+|you)\b"
        ),
    ),
    Rule(
        "blaming",
        _r(
            r"\b(?:he|she|they|you|my \w+|the \w+)(?: \w+)? (?:made|makes|make) me (?:feel|lose|"
            r"do|angry|so|late|cry|miss|fail|look|\w+)\b|\b(?:he|she|they|you|my \w+)(?: \w+)? "
            r"(?:ruined|wrecked|destroyed) (?:my|our|everything)\b"
        ),
    ),
    Rule(
        "blaming",
        _r(
            r"\bif (?:my \w+|he|she|they|you|the \w+)(?: \w+)? (?:had|hadn't|had not|would have|"
            r"didn't)\b[^.;!?]{0,50}\bi (?:wouldn't|would not|would have|could have)\b"
            r"|\bmy (?:\w+ )?(?:family|parents|partner|boss|roommate|flatmate|husband|wife|"
            r"mum|mom|dad|manager|team|ex|friends?|colleagues?|sister|brother) (?:never|always|"
            r"doesn't|don't|won't) (?:\w+)"
        ),
    ),
    # negative feeling or emotion ----------------------------------------------------------
    Rule(
        "negative feeling or emotion",
        _r(
            r"\b(?:i|i'm|i am|im|i feel|i'm feeling|i felt|feeling|i was|makes me|make me|"
            rf"made me|i get|i got)\b{_W}{{0,3}}? (?:{_FEELINGS})\b"
            r"|\b(?:i|i'm|i am) feel(?:ing)? (?:\w+ )?(?:bad|awful|terrible|horrible|rubbish|"
            r"crap|dreadful|worthless|sick)\b"
        ),
    ),
    Rule(
        "negative feeling or emotion",
        _r(
            r"\bi can't stop (?:crying|worrying|shaking)\b|\bi hate (?:myself|feeling|this)\b"
            r"|\bi'?m (?:worried|scared|afraid|terrified) (?:that|i|of)\b"
        ),
    ),
)
