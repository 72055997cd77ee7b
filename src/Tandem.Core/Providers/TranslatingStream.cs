using System.Buffers;

namespace Tandem.Providers;

/// <summary>
/// Turns a provider's answer into OpenAI's bytes as it arrives. A translating adapter implements one per answer (it
/// may keep state between chunks: a half-received line, the tool call being assembled, usage seen so far).
/// </summary>
public abstract class ResponseTranslator
{
    /// <summary>Translates the next bytes received from the provider (any split: half lines, half events).</summary>
    public abstract void Translate(ReadOnlySpan<byte> received, IBufferWriter<byte> output);

    /// <summary>The provider's answer ended: write what is still owed (the final chunk, usage, <c>[DONE]</c>).</summary>
    /// <exception cref="IOException">The answer ended where it cannot end (a truncated event): it is incomplete.</exception>
    public abstract void Complete(IBufferWriter<byte> output);
}

/// <summary>
/// A read-only stream of OpenAI bytes over a provider's answer, through a <see cref="ResponseTranslator"/>. Reads the
/// provider only when no translated byte is waiting, so streamed chunks reach the client as they come.
/// </summary>
public sealed class TranslatingStream : Stream
{
    private readonly Stream _inner;
    private readonly ResponseTranslator _translator;
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private readonly byte[] _read = new byte[16 * 1024];
    private int _offset;
    private bool _ended;

    /// <summary>Creates the stream.</summary>
    public TranslatingStream(Stream inner, ResponseTranslator translator)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(translator);
        _inner = inner;
        _translator = translator;
    }

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_offset == _output.WrittenCount)
        {
            if (_ended)
            {
                return 0;
            }

            _output.ResetWrittenCount();
            _offset = 0;
            var n = await _inner.ReadAsync(_read, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                _ended = true;
                _translator.Complete(_output);
            }
            else
            {
                _translator.Translate(_read.AsSpan(0, n), _output);
            }
        }

        var count = Math.Min(buffer.Length, _output.WrittenCount - _offset);
        _output.WrittenSpan.Slice(_offset, count).CopyTo(buffer.Span);
        _offset += count;
        return count;
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>A translator for whole (non-streamed) answers: buffers the provider's body and translates it at its end.</summary>
public sealed class WholeBodyTranslator : ResponseTranslator
{
    private readonly Func<ReadOnlyMemory<byte>, byte[]> _translate;
    private readonly ArrayBufferWriter<byte> _body = new(4096);

    /// <summary>Creates the translator; <paramref name="translate"/> turns the whole provider body into an OpenAI response.</summary>
    public WholeBodyTranslator(Func<ReadOnlyMemory<byte>, byte[]> translate)
    {
        ArgumentNullException.ThrowIfNull(translate);
        _translate = translate;
    }

    /// <inheritdoc />
    public override void Translate(ReadOnlySpan<byte> received, IBufferWriter<byte> output) => _body.Write(received);

    /// <inheritdoc />
    public override void Complete(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write(_translate(_body.WrittenMemory));
    }
}
