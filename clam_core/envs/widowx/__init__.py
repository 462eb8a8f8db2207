"""A MuJoCo digital twin of the WidowX 250 (wx250s) toy-kitchen set-up of the CLAM paper (Appendix F).

Importing this package registers `gymnasium.make("CLAM/WidowXKitchen-v0", task=...)`.
"""

import gymnasium as gym

ENV_ID = "CLAM/WidowXKitchen-v0"

if ENV_ID not in gym.registry:
    gym.register(ENV_ID, entry_point="clam_core.envs.widowx.env:WidowXKitchenEnv")
