import type { Group, Stream } from './group.js';
import {
  nextEvent,
  patchEvent,
  patchOf,
  refuse,
  revisionEvent,
  SSE_COMPLETE,
  SSE_OPEN,
  streamHeaders,
} from './sse.js';

/**
 * What a group's streams receive: the first result when a stream opens, then each new one,
 * whole or as a JSON patch (computed once per change and group), each stream counting its own
 * revisions from 1, and at the end `complete`. What the hub decides is new, or the end of a
 * stream; this module only writes it.
 */
export function createPusher(deps: {
  /** The stream book's bounded write (a client too slow to read is cut off). */
  write: (stream: Stream, text: string) => void;
  /** Counts one `next` event written. */
  pushed: () => void;
}) {
  const { write, pushed } = deps;

  /** A stream's headers and first result, once its group has one. */
  function open(stream: Stream) {
    const { group } = stream;
    if (stream.opened || stream.res.destroyed || !group.event) return;
    stream.opened = true;
    stream.res.writeHead(200, streamHeaders(stream.origin));
    stream.sent = group.event;
    stream.revisionBase = group.revision - 1;
    const first = stream.patches ? revisionEvent(group.event, 1) : group.event;
    stream.res.write(`${SSE_OPEN}${first}`);
    pushed();
  }

  /** The group's new result (`event`, a changed one): kept, and written to every stream. */
  function push(group: Group, event: string) {
    const previous = group.event;
    let change: ReturnType<typeof patchOf> | null = null;
    group.event = event;
    group.revision++;
    for (const stream of group.streams) {
      if (!stream.opened) open(stream);
      else if (stream.sent !== event) {
        stream.sent = event;
        if (stream.patches && previous) {
          change ??= patchOf(previous, event);
          write(stream, patchEvent(change, group.revision - stream.revisionBase));
        } else {
          write(stream, event);
        }
        pushed();
      }
    }
  }

  /**
   * A stream's last words, once the hub has let it go: an error event first if given, then
   * `complete` (with the headers, or as a refusal carrying the error, before its first result).
   */
  function finish(stream: Stream, errorEvent?: string) {
    const { res } = stream;
    if (res.destroyed) return;
    if (!stream.opened) {
      if (errorEvent) {
        refuse(res, stream.origin, 200, errorEvent);
        return;
      }
      res.writeHead(200, streamHeaders(stream.origin));
      res.end(`${SSE_OPEN}${SSE_COMPLETE}`);
      return;
    }
    res.end(`${errorEvent ? nextEvent(errorEvent) : ''}${SSE_COMPLETE}`);
  }

  return { open, push, finish };
}
