"""Events: model-declared and emitted occurrences that start and wake workflows."""
