"""The chat service: a FastAPI app over agent_lib."""
