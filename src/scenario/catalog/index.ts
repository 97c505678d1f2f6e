/**
 * The catalog: the kernel-level failure cases sockctl reproduces, one file each, in the order
 * they are shown. Each has a raw view (a scenario: every syscall's errno) and, where it tells
 * something, a Node view (the events a net.Socket, http.get or fetch emitted for the same case).
 */
import { abortLeavesNoTimeWait } from './abort-leaves-no-time-wait.js';
import type { CatalogCase } from './case.js';
import { challengeAckRateLimit } from './challenge-ack-rate-limit.js';
import { closeLeavesTimeWait } from './close-leaves-time-wait.js';
import { closeWaitLeak } from './close-wait-leak.js';
import { closeWaitWrite } from './close-wait-write.js';
import { connectRefused } from './connect-refused.js';
import { connectSilentListener } from './connect-silent-listener.js';
import { fetchResetAtAccept } from './fetch-reset-at-accept.js';
import { forgedRstInWindow } from './forged-rst-in-window.js';
import { forgedRstNext } from './forged-rst-next.js';
import { forgedRstOutsideWindow } from './forged-rst-outside-window.js';
import { forgedSegmentClosedPort } from './forged-segment-closed-port.js';
import { forgedSynEstablished } from './forged-syn-established.js';
import { halfClose } from './half-close.js';
import { httpResetMidRequest } from './http-reset-mid-request.js';
import { httpResponseResetMidBody } from './http-response-reset-mid-body.js';
import { kernelKill } from './kernel-kill.js';
import { keepaliveSilentPeer } from './keepalive-silent-peer.js';
import { lingerZeroClose } from './linger-zero-close.js';
import { peerReturnsAfterTimeout } from './peer-returns-after-timeout.js';
import { resetDuringLargeSend } from './reset-during-large-send.js';
import { rstBeforeAccept } from './rst-before-accept.js';
import { sendAfterShutdownWrite } from './send-after-shutdown-write.js';
import { unreadDataClose } from './unread-data-close.js';
import { userTimeoutSilentPeer } from './user-timeout-silent-peer.js';
import { writeAfterReset } from './write-after-reset.js';

export { BLACKHOLE, CAPTURE, FORGE, KILL, SNAPSHOT, type CatalogCase } from './case.js';

/** Every case, in catalog order. */
export const catalog: CatalogCase[] = [
  unreadDataClose,
  lingerZeroClose,
  writeAfterReset,
  connectRefused,
  closeWaitWrite,
  closeWaitLeak,
  rstBeforeAccept,
  kernelKill,
  userTimeoutSilentPeer,
  keepaliveSilentPeer,
  connectSilentListener,
  sendAfterShutdownWrite,
  halfClose,
  resetDuringLargeSend,
  closeLeavesTimeWait,
  abortLeavesNoTimeWait,
  peerReturnsAfterTimeout,
  httpResetMidRequest,
  httpResponseResetMidBody,
  fetchResetAtAccept,
  forgedRstNext,
  forgedRstInWindow,
  forgedRstOutsideWindow,
  forgedSynEstablished,
  challengeAckRateLimit,
  forgedSegmentClosedPort,
];

/** Errno values the seeds name, with the case that shows each (EPROTO: none on Linux). */
export const ERRNO_COVERAGE: Record<string, string> = {
  ECONNRESET: 'unread-data-close',
  EPIPE: 'write-after-reset',
  ECONNREFUSED: 'connect-refused',
  ETIMEDOUT: 'user-timeout-silent-peer',
  ECONNABORTED: 'kernel-kill',
  EPROTO: 'not produced by Linux TCP (rst-before-accept shows what Linux does instead)',
};
