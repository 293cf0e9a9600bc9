"""Report: charts and maps with alt text and data, accessible HTML for them, and the narrative
(key messages and recommendations from the numbers)."""
