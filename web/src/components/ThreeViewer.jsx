// The 3-D view. It follows the store outside React (a subscription, at most
// one rebuild per frame interval), so remote events never re-render React
// for it. What it shows is published for tests and tools: the container's
// data-scene attribute and window.__trellisScene list the meshes really in
// the three.js scene, with the parameters their geometry was built with.
import { useEffect, useRef, useState } from 'react';
import { buildSceneModel } from '../scene/sceneModel.js';
import { SceneView } from '../scene/SceneView.js';
import { workspaceStore } from '../store/workspaceStore.js';

const REFRESH_INTERVAL_MS = 33;

export default function ThreeViewer() {
  const containerRef = useRef(null);
  const [canDraw, setCanDraw] = useState(true);

  useEffect(() => {
    const container = containerRef.current;
    const view = new SceneView(container);
    setCanDraw(view.canDraw);
    let timer = null;
    let shownModel = null;

    // Most changes (drags of nodes, which do not place anything in 3-D) leave
    // the model as it is: then nothing is rebuilt or drawn.
    const refresh = () => {
      timer = null;
      const { nodes, edges } = workspaceStore.getState();
      const model = buildSceneModel(nodes, edges);
      const modelText = JSON.stringify(model);
      if (modelText === shownModel) return;
      shownModel = modelText;
      view.update(model);
      const summary = view.summary();
      const text = JSON.stringify(summary);
      if (container.dataset.scene !== text) container.dataset.scene = text;
      window.__trellisScene = summary;
    };
    const schedule = () => {
      if (timer === null) timer = setTimeout(refresh, REFRESH_INTERVAL_MS);
    };

    refresh();
    const unsubscribe = workspaceStore.subscribe((state, previous) => {
      if (state.nodes !== previous.nodes || state.edges !== previous.edges) schedule();
    });
    const resizeObserver = new ResizeObserver(([entry]) =>
      view.resize(entry.contentRect.width, entry.contentRect.height));
    resizeObserver.observe(container);

    return () => {
      unsubscribe();
      resizeObserver.disconnect();
      clearTimeout(timer);
      view.dispose();
      delete window.__trellisScene;
    };
  }, []);

  return (
    <section className="three-viewer" data-testid="three-viewer" ref={containerRef}>
      {!canDraw && <p className="notice">3-D drawing needs WebGL, which this browser does not offer.</p>}
    </section>
  );
}
