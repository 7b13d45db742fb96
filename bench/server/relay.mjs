// The seed's V1 collaboration server, as the seed's architecture document
// describes it, on socket.io v4: a single process keeping every workspace in
// an in-memory dict, relaying each change to the other clients of the
// workspace and storing it by whole-object last-write-wins. Nothing is
// merged or persisted; a restart loses every workspace. It exists as the
// baseline of bench/compare_servers.sh, not as a server to deploy.
//
//   node relay.mjs [--port 0] [--host 127.0.0.1]
//
// Prints `listening on http://HOST:PORT` once it accepts connections.
// Events and payloads are the seed's tables (join_workspace,
// leave_workspace, node_change, edge_change, node_data_update, sync_request;
// workspace_sync, user_joined, user_left, error). A client event sent with a
// callback gets `{ok: true}` at once (or `{ok: false, error}`), so that a
// closed-loop load generator can pace itself as it does against trellisd.
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { Server } from "socket.io";

function parseArgs(argv) {
  const options = { port: 0, host: "127.0.0.1" };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = inline ?? argv[++i];
    if (flag === "--port") options.port = Number(value);
    else if (flag === "--host") options.host = value;
    else {
      console.error(`relay: unknown option ${flag}`);
      process.exit(2);
    }
    if (flag === "--port" && !Number.isInteger(options.port)) {
      console.error("relay: --port expects a number");
      process.exit(2);
    }
  }
  return options;
}

const kColors = ["#FF6B6B", "#4ECDC4", "#45B7D1", "#FFA07A", "#98D8C8", "#F7DC6F", "#BB8FCE"];

// workspaceId -> { workspaceId, name, nodes: [], edges: [], users: [],
// createdAt, updatedAt }: the seed's "Workspace Manager State".
const workspaces = new Map();

function workspaceFor(workspaceId) {
  let workspace = workspaces.get(workspaceId);
  if (!workspace) {
    const now = new Date().toISOString();
    workspace = {
      workspaceId,
      name: workspaceId,
      nodes: [],
      edges: [],
      users: [],
      createdAt: now,
      updatedAt: now,
    };
    workspaces.set(workspaceId, workspace);
  }
  return workspace;
}

function publicUser(user) {
  return { id: user.id, username: user.username, color: user.color };
}

// Whole-object last-write-wins on a list of {id, ...} entities: the change
// the server receives last replaces whatever was there.
function applyChange(list, type, entity) {
  const index = list.findIndex((item) => item.id === entity.id);
  if (type === "add" || type === "update") {
    if (index === -1) list.push(entity);
    else list[index] = entity;
    return true;
  }
  if (type === "delete" || type === "remove") {
    if (index !== -1) list.splice(index, 1);
    return true;
  }
  return false;
}

function answer(ack, reply) {
  if (typeof ack === "function") ack(reply);
}

const options = parseArgs(process.argv.slice(2));
const httpServer = createServer();
const io = new Server(httpServer, { cors: { origin: true, credentials: true } });

io.on("connection", (socket) => {
  // The workspace this socket joined and its user in that workspace.
  let joined = null;
  let user = null;

  const refuse = (message, ack) => {
    socket.emit("error", { message });
    answer(ack, { ok: false, error: message });
  };
  // The joined workspace, if the payload names it; refuses otherwise.
  const current = (payload, ack) => {
    if (!joined || !payload || payload.workspaceId !== joined.workspaceId) {
      refuse("not in that workspace", ack);
      return null;
    }
    return joined;
  };

  const leave = () => {
    if (!joined) return;
    const room = joined.workspaceId;
    joined.users = joined.users.filter((other) => other.socketId !== socket.id);
    socket.leave(room);
    socket.to(room).emit("user_left", { userId: user.id });
    joined = null;
    user = null;
  };

  const sync = (workspace) => {
    socket.emit("workspace_sync", {
      nodes: workspace.nodes,
      edges: workspace.edges,
      users: workspace.users.map(publicUser),
    });
  };

  socket.on("join_workspace", (payload, ack) => {
    if (!payload || typeof payload.workspaceId !== "string") {
      refuse("join_workspace needs a workspaceId", ack);
      return;
    }
    leave();
    const workspace = workspaceFor(payload.workspaceId);
    user = {
      id: "user_" + randomBytes(6).toString("hex"),
      username: typeof payload.username === "string" ? payload.username : "anonymous",
      color: kColors[workspace.users.length % kColors.length],
      socketId: socket.id,
    };
    workspace.users.push(user);
    joined = workspace;
    socket.join(workspace.workspaceId);
    sync(workspace);
    socket.to(workspace.workspaceId).emit("user_joined", { user: publicUser(user) });
    answer(ack, { ok: true });
  });

  socket.on("leave_workspace", (payload, ack) => {
    if (!current(payload, ack)) return;
    leave();
    answer(ack, { ok: true });
  });

  for (const [event, field] of [
    ["node_change", "node"],
    ["edge_change", "edge"],
  ]) {
    socket.on(event, (payload, ack) => {
      const workspace = current(payload, ack);
      if (!workspace) return;
      const entity = payload[field];
      if (!entity || typeof entity.id !== "string" ||
          !applyChange(field === "node" ? workspace.nodes : workspace.edges, payload.type, entity)) {
        refuse(`${event} needs a type and an ${field} with an id`, ack);
        return;
      }
      workspace.updatedAt = new Date().toISOString();
      socket.to(workspace.workspaceId).emit(event, {
        type: payload.type,
        [field]: entity,
        userId: user.id,
      });
      answer(ack, { ok: true });
    });
  }

  socket.on("node_data_update", (payload, ack) => {
    const workspace = current(payload, ack);
    if (!workspace) return;
    const node = workspace.nodes.find((item) => item.id === payload.nodeId);
    if (!node || !payload.data || typeof payload.data !== "object") {
      refuse("node_data_update needs a known nodeId and data", ack);
      return;
    }
    // The seed's client sends the node's whole data object; the last one
    // received replaces it.
    node.data = payload.data;
    workspace.updatedAt = new Date().toISOString();
    socket.to(workspace.workspaceId).emit("node_data_update", {
      nodeId: payload.nodeId,
      data: payload.data,
      userId: user.id,
    });
    answer(ack, { ok: true });
  });

  socket.on("sync_request", (payload, ack) => {
    const workspace = current(payload, ack);
    if (!workspace) return;
    sync(workspace);
    answer(ack, { ok: true });
  });

  socket.on("disconnect", leave);
});

httpServer.listen(options.port, options.host, () => {
  const { address, port } = httpServer.address();
  console.log(`listening on http://${address}:${port}`);
});

const stop = () => {
  io.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
