// The seed's AppLayout: component library, canvas, and the viewer column
// (the selected node's parameters above the 3-D view).
import { ReactFlowProvider } from '@xyflow/react';
import FlowCanvas from './FlowCanvas.jsx';
import ParameterPanel from './ParameterPanel.jsx';
import Sidebar from './Sidebar.jsx';
import ThreeViewer from './ThreeViewer.jsx';

export default function AppLayout() {
  return (
    <ReactFlowProvider>
      <div className="app-layout">
        <Sidebar />
        <FlowCanvas />
        <div className="viewer-column">
          <ParameterPanel />
          <ThreeViewer />
        </div>
      </div>
    </ReactFlowProvider>
  );
}
