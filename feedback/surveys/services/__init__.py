"""Survey writes, one module per action family: surveys (create, draw, invite, remind, close, export), responses,
questionnaires. Import from the module."""
