// The three.js side of the ThreeViewer: a scene kept in step with the scene
// model, rendered on demand (after a change or a resize, never in a loop).
// Without WebGL (some headless browsers, old GPUs) the scene is still kept,
// and reported, but not drawn.
import * as THREE from 'three';
import { builtParameters, createMesh, disposeMesh, updateMesh } from './meshes.js';

const round = (value) => Math.round(value * 1000) / 1000;

export class SceneView {
  constructor(container) {
    this.container = container;
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(0xf4f5f7);
    this.camera = new THREE.PerspectiveCamera(45, 1, 0.1, 1000);
    this.meshes = new Map(); // nodeId -> mesh
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x8899aa, 1.6));
    const sun = new THREE.DirectionalLight(0xffffff, 1.8);
    sun.position.set(5, 10, 7);
    this.scene.add(sun);
    this.scene.add(new THREE.GridHelper(20, 20, 0xc0c4cc, 0xdde0e6));
    this.renderer = null;
    try {
      this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
      this.renderer.setPixelRatio(Math.min(2, globalThis.devicePixelRatio ?? 1));
      container.appendChild(this.renderer.domElement);
    } catch (error) {
      console.warn('trellis: WebGL unavailable, the 3-D view is not drawn', error);
    }
  }

  get canDraw() {
    return this.renderer !== null;
  }

  update(model) {
    const seen = new Set();
    for (const primitive of model) {
      seen.add(primitive.id);
      const mesh = this.meshes.get(primitive.id);
      if (mesh && mesh.userData.kind === primitive.kind) {
        updateMesh(mesh, primitive);
        continue;
      }
      if (mesh) this.removeMesh(primitive.id);
      const created = createMesh(primitive);
      this.meshes.set(primitive.id, created);
      this.scene.add(created);
    }
    for (const nodeId of [...this.meshes.keys()]) {
      if (!seen.has(nodeId)) this.removeMesh(nodeId);
    }
    this.frameCamera();
    this.render();
  }

  removeMesh(nodeId) {
    const mesh = this.meshes.get(nodeId);
    this.scene.remove(mesh);
    disposeMesh(mesh);
    this.meshes.delete(nodeId);
  }

  // Looks at the meshes' bounding box from a fixed direction, far enough to
  // see all of it.
  frameCamera() {
    const bounds = new THREE.Box3();
    for (const mesh of this.meshes.values()) bounds.expandByObject(mesh);
    const center = bounds.isEmpty() ? new THREE.Vector3() : bounds.getCenter(new THREE.Vector3());
    const radius = bounds.isEmpty() ? 3 : Math.max(2, bounds.getSize(new THREE.Vector3()).length() / 2);
    // Fit the narrower of the two fields of view (the viewer column is tall).
    const verticalHalf = (this.camera.fov * Math.PI) / 360;
    const horizontalHalf = Math.atan(Math.tan(verticalHalf) * this.camera.aspect);
    const distance = radius / Math.sin(Math.min(verticalHalf, horizontalHalf));
    const direction = new THREE.Vector3(0.6, 0.55, 0.8).normalize();
    this.camera.position.copy(center).addScaledVector(direction, distance);
    this.camera.lookAt(center);
  }

  resize(width, height) {
    if (width <= 0 || height <= 0) return;
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.renderer?.setSize(width, height);
    this.frameCamera();
    this.render();
  }

  render() {
    this.renderer?.render(this.scene, this.camera);
  }

  // What is really in the scene: one entry per mesh, with the parameters its
  // geometry was built with and where it stands.
  summary() {
    return [...this.meshes.values()].map((mesh) => ({
      id: mesh.userData.nodeId,
      kind: mesh.userData.kind,
      parameters: builtParameters(mesh),
      position: mesh.position.toArray().map(round),
      scale: round(mesh.scale.x),
    })).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  dispose() {
    for (const nodeId of [...this.meshes.keys()]) this.removeMesh(nodeId);
    this.renderer?.dispose();
    this.renderer?.domElement.remove();
  }
}
