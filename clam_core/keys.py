"""Feature names shared by the twin, the datasets, the checkpoints and the policy node (LeRobot's names)."""

STATE_KEY = "observation.state"
IMAGE_KEY_PREFIX = "observation.images."  # + camera name
ACTION_KEY = "action"
