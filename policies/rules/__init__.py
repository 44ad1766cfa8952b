"""One module per rule of the catalogue (docs/architecture.md, "Rule catalogue")."""
