"""clam_bringup: the node graphs of the robot and policy launch files, as plain data."""
