"""Python side of still-rl. The TypeScript control plane spawns or accepts these peers over ZeroMQ."""

__version__ = "0.1.0"
