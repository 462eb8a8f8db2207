"""clam_ros: ROS 2 nodes for the WidowX stack and the ROS-free robot logic they wrap.

Node modules (`clam_ros.nodes.*`) are thin shells; the logic lives in plain classes here (safety filter, arm
driver, camera backends, policy runner) and is unit-tested without ROS.
"""
