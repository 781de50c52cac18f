"""Authoring: the user's own scenarios and personas, imports, linting and scaffolding.

workspace    -- save with history, restore, drafts, live checks (what the Author tab calls)
issues       -- a problem as line, field, message and suggested fix, apart
bundle       -- one YAML file holding a scenario and the personas it uses
cards        -- SillyTavern / TavernAI character cards (V1, V2, V3; JSON or PNG)
patient_psi  -- Patient-Psi style CBT cognitive models
importing    -- ``rehearse import``: any of the above, checked whole, then saved
lint         -- warnings a clinician would want, with file and line
scaffold     -- ``rehearse new``: a valid starting scenario and persona
yamltext     -- YAML text people can read (block scalars, keys in order)
commands     -- the command-line side of the above

The submodules are imported where they are used, so that importing one does not pay
for the others.
"""
