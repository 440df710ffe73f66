"""Coverage-guided fuzzing of the page-parsing entry point (``make fuzz``)."""
