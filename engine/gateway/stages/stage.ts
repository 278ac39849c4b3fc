/**
 * The data path of one connection is a chain of stages, as nbdkit stacks filters through
 * `next_ops`: access, statistics, byte budget, throttle, backend. A stage takes a request,
 * passes it on to the next when it may go (now or later), and sees it settle once its reply
 * has been handed to the client's socket. The chain is built once per connection; requests
 * are pooled objects, so passing one along allocates nothing.
 */
export interface DataStage<I> {
  /** `io` enters this stage; it goes on with the next stage's `submit`, now or later. */
  submit(io: I): void;
  /**
   * `io`, which this stage took, is over: its reply went to the socket, or its connection
   * closed. Each stage passes this on to the next stage it passed `io` to.
   */
  settle(io: I, now: number): void;
}
