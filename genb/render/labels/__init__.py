"""Labels: pure functions from posed geometry, the camera and the rendered buffers to the ground truth.

``camera`` projection and frames; ``truth`` visibility, boxes, centres and scales, occlusion;
``maps`` the control maps (depth, normals, pose, segmentation, edges).
"""
