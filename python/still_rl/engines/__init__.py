"""Engines the TypeScript trainer drives in driver mode."""
