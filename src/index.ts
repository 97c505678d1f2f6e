export {
  abort,
  constants,
  getKeepAlive,
  getLinger,
  getOption,
  getUserTimeout,
  queues,
  setKeepAlive,
  setLinger,
  setOption,
  setUserTimeout,
  takeError,
  type KeepAliveOptions,
  type KeepAliveState,
  type SocketQueues,
} from './options.js';
export {
  decodeTcpInfo,
  tcpInfo,
  TCP_CA_STATES,
  TCP_INFO_FIELDS,
  TCP_INFO_SIZE,
  TCP_STATES,
  TcpInfoOptions,
  type TcpCaState,
  type TcpInfo,
  type TcpState,
} from './tcp-info.js';
export {
  RawSocket,
  type RawAddress,
  type RawFail,
  type RawFamily,
  type RawResult,
  type TraceEntry,
  type TraceOption,
  type WaitOptions,
} from './raw-socket.js';
export { systemError, type PrivilegeError, type ProbeResult, type SocketSystemError } from './errors.js';
export { blackhole, canBlackhole, unblackhole } from './blackhole.js';
export { canKill, kill, socketCookie } from './kill.js';
export { canUseNetns, loopbackUp, netnsCommand, runInNetns, type NetnsOptions } from './userns.js';
export { type SocketLike } from './handle.js';
export {
  scenario,
  timeWaitSockets,
  type End,
  type EndName,
  type Outcome,
  type Requirement,
  type RunOptions,
  type Scenario,
  type ScenarioEnds,
  type ScenarioOptions,
  type ScenarioResult,
  type Step,
  type StepRecord,
  type Verdict,
} from './scenario.js';
export { catalog, ERRNO_COVERAGE, type CatalogCase } from './catalog.js';
export { runCatalog, type CaseRun, type CatalogRun, type CatalogOptions, type Environment } from './run-catalog.js';
export type { NodeView } from './node-view.js';
export {
  faultServer,
  FaultServer,
  type FaultServerOptions,
} from './fixtures/server.js';
export { faultClient, FaultClient, type FaultClientOptions, type FaultTarget } from './fixtures/client.js';
export {
  faultProxy,
  FaultProxy,
  type CutAction,
  type DirectionRule,
  type FaultProxyRules,
  type ProxyConnectionRecord,
} from './fixtures/proxy.js';
export {
  type ClientStep,
  type ConnectionEnd,
  type ConnectionRecord,
  type NormalizedStep,
  type PlayedStep,
  type RespondStep,
  type ServerStep,
  type StreamStep,
} from './fixtures/steps.js';
