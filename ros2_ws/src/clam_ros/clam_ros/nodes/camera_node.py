"""Camera node: publishes `image_raw` (rgb8) and `camera_info` with sensor-data QoS at the camera's rate.

Parameters: `backend` (realsense | webcam | sim), `frame_id`, `width`, `height`, `fps`, `wait_for_subscriber`
(replays start once someone listens); realsense: `serial`,
`playback_file`; webcam: `source` (device index or video file), `loop`; sim: `camera` (external | shoulder).
"""

from __future__ import annotations

import numpy as np
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Float64MultiArray

from clam_ros.camera_backends import CameraBackend, RealSenseCamera, TwinCamera, VideoCamera
from clam_ros.conversions import camera_info_msg, image_msg
from clam_ros.nodes.arm_driver_node import TWIN_STATE_TOPIC
from clam_ros.nodes.runner import run_node


class CameraNode(Node):
    def __init__(self) -> None:
        super().__init__("camera")
        backend = self.declare_parameter("backend", "webcam").value
        width = int(self.declare_parameter("width", 640).value)
        height = int(self.declare_parameter("height", 480).value)
        fps = float(self.declare_parameter("fps", 30.0).value)
        self.frame_id = self.declare_parameter("frame_id", "camera_color_optical_frame").value
        # For replaying recordings: hold the first frame until someone listens, so none is lost to discovery.
        self.wait_for_subscriber = bool(self.declare_parameter("wait_for_subscriber", False).value)
        self.camera: CameraBackend
        if backend == "realsense":
            self.camera = RealSenseCamera(
                self.declare_parameter("serial", "").value,
                width,
                height,
                fps,
                self.declare_parameter("playback_file", "").value,
            )
        elif backend == "webcam":
            self.camera = VideoCamera(
                str(self.declare_parameter("source", "0").value),
                width,
                height,
                fps,
                bool(self.declare_parameter("loop", False).value),
            )
        elif backend == "sim":
            self.camera = TwinCamera(self.declare_parameter("camera", "external").value, width, height, fps)
            self.create_subscription(
                Float64MultiArray, TWIN_STATE_TOPIC, lambda msg: self.camera.update(np.asarray(msg.data)), 10
            )
        else:
            raise ValueError(f"unknown camera backend {backend!r}; use realsense, webcam or sim")
        self.image_pub = self.create_publisher(Image, "image_raw", qos_profile_sensor_data)
        self.info_pub = self.create_publisher(CameraInfo, "camera_info", qos_profile_sensor_data)
        self.published = 0
        self.create_timer(1.0 / self.camera.fps, self._tick)
        self.get_logger().info(
            f"camera up: backend={backend}, {self.camera.intrinsics.width}x"
            f"{self.camera.intrinsics.height} at {self.camera.fps:g} Hz"
        )

    def _tick(self) -> None:
        if self.wait_for_subscriber and self.image_pub.get_subscription_count() == 0:
            return
        frame = self.camera.read()
        if frame is None:
            return
        stamp = self.get_clock().now().to_msg()  # capture time: the frame was read just now
        intr = self.camera.intrinsics
        self.image_pub.publish(image_msg(frame, stamp, self.frame_id))
        self.info_pub.publish(
            camera_info_msg(
                frame.shape[1],
                frame.shape[0],
                intr.fx,
                intr.fy,
                intr.cx,
                intr.cy,
                list(intr.distortion),
                stamp,
                self.frame_id,
            )
        )
        self.published += 1

    def close(self) -> None:
        self.camera.close()


def main(args: list[str] | None = None) -> None:
    run_node("camera", CameraNode, args)


if __name__ == "__main__":
    main()
