// The smallest compas_cloud client: plain JSON messages, answered in order.
//
//   npm install ws
//   node examples/js/plain_client.js [PORT]
const WebSocket = require('ws');

const port = process.argv[2] || '9009';
const socket = new WebSocket(`ws://127.0.0.1:${port}`);
const replies = [];
let expected = 0;

function send(message) {
  expected += 1;
  socket.send(JSON.stringify(message));
}

socket.on('open', () => {
  send({ package: 'numpy.linalg.norm', args: [[3, 4]] });
  send({ package: 'compas.geometry.centroid_points', args: [[[0, 0, 0], [2, 0, 0], [2, 2, 0], [0, 2, 0]]] });
});

socket.on('message', (text) => {
  replies.push(JSON.parse(String(text)));
  if (replies.length === expected) {
    console.log('norm:', replies[0]);
    console.log('centroid:', JSON.stringify(replies[1]));
    socket.close();
  }
});

socket.on('error', (error) => { console.error(error.message); process.exit(1); });
