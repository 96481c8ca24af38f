"""The built-in Hugging Face engine: any causal LM, driven over the bridge (see engine.py)."""
