package drill

import "time"

// Config holds the drills' durations and rates.
type Config struct {
	Rate          float64       // new transactions per second of steady load during fault drills
	Lead, Tail    time.Duration // steady load before each fault and after the repair
	WorkerKills   int           // SIGKILLs of the worker, each followed by a restart
	WorkerDown    time.Duration // time between the SIGKILL and the restart
	TemporalDown  time.Duration // Temporal stopped this long while postbacks keep arriving
	PostgresDown  time.Duration // time between PostgreSQL's crash and its restart
	CleanRestart  bool          // also restart PostgreSQL cleanly (fast shutdown, immediate start)
	Dest503       time.Duration // destinations answer 503 this long
	PostgresLong  time.Duration // postgres-long: PostgreSQL down this long under load
	FairBurst     int           // fair: postbacks one account sends at once
	FairQuietRate float64       // fair: the quiet account's transactions per second
	FairBound     time.Duration // fair: the quiet account's p99 accept->applied bound
	FairStrict    bool          // fair: a p99 over the bound fails the drill (make drill; never in tests)
	StormTx       int           // transactions in the storm
	StormCopies   int           // identical copies of each postback, sent at once
	Quiet         time.Duration // extra wait after the product settles, for late duplicates
	SoakFor       time.Duration // steady load for the soak, after SoakWarmup
	SoakWarmup    time.Duration
	SoakRate      float64
}

// Full is `make drill` and `make soak`.
func Full() Config {
	return Config{Rate: 10, Lead: 15 * time.Second, Tail: 15 * time.Second, WorkerKills: 3, WorkerDown: 5 * time.Second,
		TemporalDown: 60 * time.Second, PostgresDown: 10 * time.Second, CleanRestart: true, Dest503: 2 * time.Minute,
		PostgresLong: 5 * time.Minute, FairBurst: 50000, FairQuietRate: 2, FairBound: 5 * time.Second, FairStrict: true,
		StormTx: 100, StormCopies: 20, Quiet: 10 * time.Second,
		// The warm-up fills the worker's workflow cache (2,000 open transactions at
		// 20/s take 100 s), so start and end readings compare like with like.
		SoakFor: 10 * time.Minute, SoakWarmup: 3 * time.Minute, SoakRate: 20}
}

// Short is the CI form: the same faults, shorter.
func Short() Config {
	return Config{Rate: 8, Lead: 5 * time.Second, Tail: 4 * time.Second, WorkerKills: 1, WorkerDown: 2 * time.Second,
		TemporalDown: 10 * time.Second, PostgresDown: 3 * time.Second, Dest503: 20 * time.Second,
		PostgresLong: 40 * time.Second, FairBurst: 1000, FairQuietRate: 2, FairBound: 5 * time.Second,
		StormTx: 24, StormCopies: 20, Quiet: 3 * time.Second,
		SoakFor: 2 * time.Minute, SoakWarmup: 20 * time.Second, SoakRate: 10}
}

// drainTimeout bounds the wait for the product to settle after a fault of the
// given length: delivery retries back off exponentially, so up to twice the
// outage, plus the 30 s activity timeout after a worker crash and some margin.
func drainTimeout(fault time.Duration) time.Duration {
	return 3*time.Minute + 2*fault
}
