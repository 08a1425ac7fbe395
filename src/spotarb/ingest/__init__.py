"""Getting prices in: feeds run once or on a schedule, files imported, the single writer."""
