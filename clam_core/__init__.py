"""clam_core: continuous latent action models and their training, ROS-free and importable anywhere."""

import os

# The twin's cameras render offscreen: training machines and robot computers often have no display, and
# without this a benchmark crashes at its first evaluation, after training. MuJoCo reads the variable when it
# is first imported, so it is set here, before any clam_core module can import it.
os.environ.setdefault("MUJOCO_GL", "egl")
