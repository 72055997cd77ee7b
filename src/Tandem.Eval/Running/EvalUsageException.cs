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

/// <summary>Thrown for a run that cannot start: unknown deployments, a missing judge, a changed suite in --out.</summary>
public sealed class EvalUsageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EvalUsageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public EvalUsageException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public EvalUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
