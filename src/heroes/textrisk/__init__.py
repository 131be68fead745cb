"""Text risk: grooming and job-ad scoring of text, explained, on-device sized."""
