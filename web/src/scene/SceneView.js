// The three.js side of the ThreeViewer: a scene kept in step with the scene
// model, rendered on demand (after a change, a resize or a camera move, never
// in a loop). Without WebGL (some headless browsers, old GPUs) the scene is
// still kept, and reported, but not drawn.
//
// The camera frames every mesh until the user takes it (orbit: drag; pan:
// right drag; zoom: wheel). From then on it stays where the user left it,
// whatever anyone changes, because a view that jumps while you look at it is
// worse than one that misses a new mesh; a double click frames all again and
// hands the camera back to the framing.
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
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
    this.userCamera = false; // true once the user moved the camera
    this.controls = null;
    if (this.renderer) {
      this.controls = new OrbitControls(this.camera, this.renderer.domElement);
      // A click that moves nothing leaves the framing on.
      let interacting = false;
      this.controls.addEventListener('start', () => { interacting = true; });
      this.controls.addEventListener('end', () => { interacting = false; });
      this.controls.addEventListener('change', () => {
        if (interacting) this.userCamera = true;
        this.render();
      });
      this.onDoubleClick = () => {
        this.userCamera = false;
        this.frameCamera();
        this.render();
      };
      this.renderer.domElement.addEventListener('dblclick', this.onDoubleClick);
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
  // see all of it; not while the user holds the camera.
  frameCamera() {
    if (this.userCamera) return;
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
    if (this.controls) {
      this.controls.target.copy(center);
      this.controls.update();
    }
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
    // Where the camera is, for tests and tools (as the scene's summary).
    const camera = JSON.stringify(this.camera.position.toArray().map(round));
    if (this.container.dataset.camera !== camera) this.container.dataset.camera = camera;
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
    if (this.controls) {
      this.renderer.domElement.removeEventListener('dblclick', this.onDoubleClick);
      this.controls.dispose();
    }
    for (const nodeId of [...this.meshes.keys()]) this.removeMesh(nodeId);
    this.renderer?.dispose();
    this.renderer?.domElement.remove();
  }
}
