"""One module per rule of the catalogue (DESIGN.md, "Rule catalogue")."""
