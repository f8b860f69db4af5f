// A compas_cloud client for Node.js using envelopes: every reply is matched to its request by id.
//
//   npm install ws
//   node examples/js/rpc_client.js [PORT]
const WebSocket = require('ws');

function connect(url) {
  const socket = new WebSocket(url);
  const waiting = new Map();
  let next = 1;
  socket.on('message', (text) => {
    const reply = JSON.parse(String(text));
    if (reply.id === undefined || !waiting.has(reply.id)) return; // an event such as "shutdown"
    const { resolve, reject } = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (reply.ok) resolve(reply.result);
    else reject(new Error(`${reply.error.type}: ${reply.error.message}`));
  });
  const request = (op, fields = {}) => new Promise((resolve, reject) => {
    const id = next++;
    waiting.set(id, { resolve, reject });
    socket.send(JSON.stringify({ v: 1, id, op, ...fields }));
  });
  return new Promise((resolve, reject) => {
    socket.on('open', () => resolve({ socket, request }));
    socket.on('error', reject);
  });
}

async function main() {
  const port = process.argv[2] || '9009';
  const { socket, request } = await connect(`ws://127.0.0.1:${port}`);
  const server = await request('hello', { client: { name: 'rpc_client.js' } });
  console.log(`server: compas_cloud ${server.compas_cloud} on Python ${server.python}`);

  const lift = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0.5], [0, 0, 0, 1]];
  const square = [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]];

  // Keep the matrix and the points on the server; only the final answer crosses the wire.
  const liftRef = await request('cache', { data: lift });
  let points = square;
  for (let i = 0; i < 4; i++) {
    points = await request('call', {
      function: 'compas.geometry.transform_points_numpy', args: [points, liftRef], cache: true,
    });
  }
  console.log('lifted:', JSON.stringify(await request('get', { ref: points })));

  try {
    await request('call', { function: 'compas.geometry.no_such_function' });
  } catch (error) {
    console.log('as expected:', error.message.split(':')[0]);
  }
  socket.close();
}

main().catch((error) => { console.error(error); process.exit(1); });
