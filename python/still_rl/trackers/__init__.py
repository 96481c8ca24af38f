"""Experiment-tracker sinks that the TS side feeds with the run's metrics."""
