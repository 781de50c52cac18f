"""Authoring: the user's own scenarios and personas, imports, linting and scaffolding.

workspace  -- save with history, restore, drafts, live checks (what the Author tab calls)
bundle     -- one YAML file holding a scenario and the personas it uses
cards      -- SillyTavern / TavernAI character cards (V2, V3; JSON or PNG)
patient_psi -- Patient-Psi style CBT cognitive models
importing  -- ``rehearse import``: any of the above into the user's folder
lint       -- warnings a clinician would want, with file and line
scaffold   -- ``rehearse new``: a valid starting scenario and persona

The submodules are imported where they are used, so that importing one does not pay
for the others.
"""
