"""Live stage models, one module per area (streams and captions, Q&A and polls, chat)."""
