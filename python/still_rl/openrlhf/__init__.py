"""still-rl's side of OpenRLHF jobs: the launch check and the tool agent for ``--train.agent_func_path``."""
