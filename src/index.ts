// The public surface. Values are re-exported as `export import` aliases, which compile to
// plain data properties on the CommonJS exports object (`exports.x = m.x`) rather than one
// getter per name: with ~40 getters V8 keeps the object in dictionary mode, and every
// `sockctl.tcpInfo(...)` paid a dictionary lookup plus a getter call (~40 ns on a ~900 ns call;
// bench/run.mjs). Types keep their declarations and JSDoc either way.
import * as optionsModule from './controls/options.js';
import * as tcpInfoModule from './controls/tcp-info.js';
import * as socketsModule from './controls/sockets.js';
import * as rawSocketModule from './raw/raw-socket.js';
import * as errorsModule from './controls/errors.js';
import * as blackholeModule from './raw/blackhole.js';
import * as killModule from './raw/kill.js';
import * as usernsModule from './raw/userns.js';
import * as scenarioModule from './scenario/scenario.js';
import * as catalogModule from './scenario/catalog/index.js';
import * as runCatalogModule from './scenario/run-catalog.js';
import * as serverModule from './faults/server.js';
import * as clientModule from './faults/client.js';
import * as proxyModule from './faults/proxy.js';
import * as captureModule from './raw/capture.js';
import * as forgeModule from './raw/forge.js';
import * as wireModule from './raw/wire.js';
import * as ladderModule from './scenario/ladder.js';

export import abort = optionsModule.abort;
export import constants = optionsModule.constants;
export import getKeepAlive = optionsModule.getKeepAlive;
export import getLinger = optionsModule.getLinger;
export import getOption = optionsModule.getOption;
export import getUserTimeout = optionsModule.getUserTimeout;
export import queues = optionsModule.queues;
export import setKeepAlive = optionsModule.setKeepAlive;
export import setLinger = optionsModule.setLinger;
export import setOption = optionsModule.setOption;
export import setUserTimeout = optionsModule.setUserTimeout;
export import takeError = optionsModule.takeError;
export type { KeepAliveOptions, KeepAliveState, SocketQueues } from './controls/options.js';
export import decodeTcpInfo = tcpInfoModule.decodeTcpInfo;
export import tcpInfo = tcpInfoModule.tcpInfo;
export import tcpInfoBatch = tcpInfoModule.tcpInfoBatch;
export import TCP_CA_STATES = tcpInfoModule.TCP_CA_STATES;
export import TCP_INFO_FIELDS = tcpInfoModule.TCP_INFO_FIELDS;
export import TCP_INFO_SIZE = tcpInfoModule.TCP_INFO_SIZE;
export import OLDEST_KERNEL = tcpInfoModule.OLDEST_KERNEL;
export import TCP_STATES = tcpInfoModule.TCP_STATES;
export import TcpInfoOptions = tcpInfoModule.TcpInfoOptions;
export type { DecodedTcpInfo, TcpCaState, TcpInfo, TcpState } from './controls/tcp-info.js';
export import sockets = socketsModule.sockets;
export type { SnapshotSocket, SocketAttribution, SocketFilter, SocketTimer } from './controls/sockets.js';
export import RawSocket = rawSocketModule.RawSocket;
export import unwrap = rawSocketModule.unwrap;
export type {
  RawAddress,
  RawError,
  RawFail,
  RawFamily,
  RawOk,
  RawResult,
  TraceEntry,
  TraceOption,
  WaitOptions,
} from './raw/raw-socket.js';
export import systemError = errorsModule.systemError;
export type { PrivilegeError, ProbeResult, SocketSystemError } from './controls/errors.js';
export import blackhole = blackholeModule.blackhole;
export import canBlackhole = blackholeModule.canBlackhole;
export import unblackhole = blackholeModule.unblackhole;
export import canKill = killModule.canKill;
export import kill = killModule.kill;
export import socketCookie = killModule.socketCookie;
export import canUseNetns = usernsModule.canUseNetns;
export import loopbackUp = usernsModule.loopbackUp;
export import netnsCommand = usernsModule.netnsCommand;
export import runInNetns = usernsModule.runInNetns;
export type { NetnsOptions } from './raw/userns.js';
export type { SocketLike } from './controls/handle.js';
export import scenario = scenarioModule.scenario;
export import timeWaitSockets = scenarioModule.timeWaitSockets;
export type {
  End,
  EndName,
  Outcome,
  Requirement,
  RunOptions,
  Scenario,
  ScenarioEnds,
  ScenarioOptions,
  ScenarioResult,
  Step,
  StepRecord,
  Verdict,
  WireCheck,
  WireExpectation,
  WireRecord,
} from './scenario/scenario.js';
export import Capture = captureModule.Capture;
export import canCapture = captureModule.canCapture;
export type { CaptureOptions, CaptureStop } from './raw/capture.js';
export type { CapturedSegment, SegmentEnd, TcpOptions } from './raw/segment.js';
export import forge = forgeModule.forge;
export import canForge = forgeModule.canForge;
export type { ForgedSegment } from './raw/forge.js';
export import wireSegments = wireModule.wireSegments;
export type { WireSegment } from './raw/wire.js';
export import renderLadder = ladderModule.renderLadder;
export type { LadderOptions, LadderSource } from './scenario/ladder.js';
export import catalog = catalogModule.catalog;
export import ERRNO_COVERAGE = catalogModule.ERRNO_COVERAGE;
export type { CatalogCase } from './scenario/catalog/index.js';
export import runCatalog = runCatalogModule.runCatalog;
export type { CaseRun, CatalogRun, CatalogOptions, Environment } from './scenario/run-catalog.js';
export type { NodeView } from './scenario/node-view.js';
export import faultServer = serverModule.faultServer;
export import FaultServer = serverModule.FaultServer;
export type { FaultServerOptions } from './faults/server.js';
export type { FailFirst } from './faults/fail-first.js';
export type { FixtureError } from './faults/common.js';
export import faultClient = clientModule.faultClient;
export import FaultClient = clientModule.FaultClient;
export type { FaultClientOptions, FaultTarget } from './faults/client.js';
export import faultProxy = proxyModule.faultProxy;
export import FaultProxy = proxyModule.FaultProxy;
export import PROXY_BUFFER_BYTES = proxyModule.PROXY_BUFFER_BYTES;
export type { CutAction, DirectionRule, FaultProxyOptions, FaultProxyRules, ProxyConnectionRecord } from './faults/proxy.js';
export type { ConnectionWire } from './faults/wire.js';
export type {
  ClientStep,
  ConnectionEnd,
  ConnectionRecord,
  HttpFault,
  NormalizedStep,
  PlayedStep,
  RespondStep,
  ServerStep,
  StreamStep,
} from './faults/steps.js';
export type {
  ActiveToxic,
  BandwidthToxic,
  LatencyToxic,
  LimitDataToxic,
  PacketLossToxic,
  ResetPeerToxic,
  SlicerToxic,
  SlowCloseToxic,
  TimeoutToxic,
  Toxic,
  ToxicChanges,
  ToxicEvent,
  ToxicStream,
  ToxicType,
} from './faults/toxics.js';
