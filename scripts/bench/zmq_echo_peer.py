"""Floor for `npm run bench:bridge`: a bare pyzmq DEALER echoing every message, with no protocol at all (no
envelope, no session, no codec, no I/O thread). What ZeroMQ itself costs a small round trip on this machine."""

import sys

import zmq

sock = zmq.Context.instance().socket(zmq.DEALER)
sock.connect(sys.argv[1])
sock.send(b"ready")
while True:
    frames = sock.recv_multipart()
    if frames[0] == b"stop":
        break
    sock.send_multipart(frames)
