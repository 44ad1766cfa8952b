"""The kernel every other package stands on: the normalised model, the exception tree,
timestamps, safe reading of operator files (YAML and bounded input files), secret matching and
withholding, and the one HTTP stack. It imports nothing of ours outside itself (enforced by the
import-linter contracts in pyproject.toml)."""
