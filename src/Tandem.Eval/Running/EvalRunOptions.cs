using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Polly;
using Polly.Retry;
using Tandem.Eval.Suites;
using Tandem.Quality;
using Tandem.Runtime;
using Tandem.Upstream;

namespace Tandem.Eval.Running;

/// <summary>Settings of one eval run.</summary>
public sealed record EvalRunOptions
{
    /// <summary>Deployments to evaluate, as named in the gateway configuration.</summary>
    public required IReadOnlyList<string> Deployments { get; init; }

    /// <summary>The deployment the others are compared with; must be one of <see cref="Deployments"/>.</summary>
    public string? Baseline { get; init; }

    /// <summary>Calls in flight at once, over all deployments.</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>Run a sample of N cases, stratified by label (<see cref="SuiteSampler"/>).</summary>
    public int? Limit { get; init; }

    /// <summary>Seed of the <see cref="Limit"/> sample: the same seed picks the same cases, so a run resumes.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Where <c>results.jsonl</c>, <c>manifest.json</c> and the reports go.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The judge deployment (required when the suite has generation cases).</summary>
    public string? Judge { get; init; }

    /// <summary>A rubric for generation cases that carry none (and whose suite has none).</summary>
    public string? Rubric { get; init; }

    /// <summary>Also judge each candidate's answers against the baseline's, in both orders.</summary>
    public bool Pairwise { get; init; }

    /// <summary>Ask the judge for <c>response_format: json_object</c>.</summary>
    public bool JudgeJsonMode { get; init; } = true;

    /// <summary>Retries per call after the first try (429, 5xx, timeouts, broken connections).</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First backoff delay when the upstream sends no <c>Retry-After</c> (exponential with jitter after it).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest <c>Retry-After</c> honoured; longer ones are capped to it.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Sampling temperature sent with every case.</summary>
    public double Temperature { get; init; }

    /// <summary>Discard earlier results in the output directory instead of resuming.</summary>
    public bool Fresh { get; init; }
}

/// <summary>Progress of a run.</summary>
/// <param name="Done">Results stored so far (resumed ones included).</param>
/// <param name="Total">Results the run needs.</param>
/// <param name="Failed">Results that failed after retries in this run.</param>
public readonly record struct EvalProgress(int Done, int Total, int Failed);

/// <summary>The results of a run.</summary>
/// <param name="Suite">The suite as run (after the <c>--limit</c> sample).</param>
/// <param name="Records">The latest record of every (case, deployment) of the run, resumed ones included.</param>
/// <param name="Resumed">Results taken over from an earlier run.</param>
/// <param name="Ran">Results produced by this run.</param>
public sealed record EvalRunResult(EvalSuite Suite, IReadOnlyList<EvalRecord> Records, int Resumed, int Ran);
