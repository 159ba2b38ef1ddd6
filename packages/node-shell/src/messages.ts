// The send and done a node's input handler receives (Node-RED >= 1.0), typed once for every node.
import type { NodeMessage } from 'node-red';

/** One entry per output: a message, an array of messages (sent in order), or null for nothing on that output. */
export type Outputs = (NodeMessage | NodeMessage[] | null)[];

/** Sends on the node's outputs. A node with one output may pass its message alone. */
export type Send = (msg: NodeMessage | Outputs) => void;

/** Tells Node-RED the message is handled; an error goes to Catch nodes. Call exactly once per message. */
export type Done = (error?: Error) => void;
