// One three.js mesh per primitive of the scene model, and the way back: the
// parameters a mesh was really built with, read from its geometry (this is
// what the view reports to tests, so a mesh that was not rebuilt shows).
import * as THREE from 'three';

const KIND_COLORS = { box: 0x4e79a7, sphere: 0xe15759, cylinder: 0x59a14f };

function geometryFor(kind, parameters) {
  switch (kind) {
    case 'box':
      return new THREE.BoxGeometry(parameters.width, parameters.height, parameters.depth);
    case 'sphere': {
      const segments = Math.round(parameters.segments);
      return new THREE.SphereGeometry(parameters.radius, segments, Math.max(2, Math.round(segments / 2)));
    }
    case 'cylinder':
      return new THREE.CylinderGeometry(parameters.radius, parameters.radius, parameters.height,
        Math.round(parameters.segments));
    default:
      throw new Error(`no geometry for ${kind}`);
  }
}

export function builtParameters(mesh) {
  const built = mesh.geometry.parameters;
  switch (mesh.userData.kind) {
    case 'box':
      return { width: built.width, height: built.height, depth: built.depth };
    case 'sphere':
      return { radius: built.radius, segments: built.widthSegments };
    case 'cylinder':
      return { radius: built.radiusTop, height: built.height, segments: built.radialSegments };
    default:
      return {};
  }
}

export function createMesh(primitive) {
  const material = new THREE.MeshStandardMaterial({ color: KIND_COLORS[primitive.kind], roughness: 0.55 });
  const mesh = new THREE.Mesh(geometryFor(primitive.kind, primitive.parameters), material);
  mesh.userData = { nodeId: primitive.id, kind: primitive.kind, geometryKey: '' };
  updateMesh(mesh, primitive);
  return mesh;
}

// Rebuilds the geometry only when a parameter changed; a move only touches
// the mesh's transform.
export function updateMesh(mesh, primitive) {
  const geometryKey = JSON.stringify(primitive.parameters);
  if (mesh.userData.geometryKey !== geometryKey) {
    if (mesh.userData.geometryKey !== '') {
      mesh.geometry.dispose();
      mesh.geometry = geometryFor(primitive.kind, primitive.parameters);
    }
    mesh.userData.geometryKey = geometryKey;
  }
  mesh.position.set(...primitive.position);
  mesh.scale.setScalar(primitive.scale);
  mesh.rotation.set(0, primitive.rotationY, 0);
}

export function disposeMesh(mesh) {
  mesh.geometry.dispose();
  mesh.material.dispose();
}
