using System.Data.Common;
using System.Globalization;
using Tandem.Privacy;

namespace Tandem.Storage;

/// <summary>Rows moved to the active key by <see cref="StorageDatabase.ReencryptAsync"/>, per table.</summary>
/// <param name="Contents">Captured prompts and answers.</param>
/// <param name="Feedback">Feedback entries.</param>
/// <param name="ShadowSamples">Shadow samples.</param>
public sealed record ReencryptResult(long Contents, long Feedback, long ShadowSamples);

/// <summary>Key rotation: moving rows written in clear text or under an older key to the active key.</summary>
public abstract partial class StorageDatabase
{
    private const int RowsPerReencryptBatch = 500;

    /// <summary>
    /// Re-encrypts, with the active key, every content row written in clear text or under another key (a batch of
    /// rows per transaction, so the gateway keeps writing meanwhile). The old keys must still be listed.
    /// </summary>
    /// <exception cref="InvalidOperationException">privacy.encryption is not configured.</exception>
    /// <exception cref="ContentKeyException">A row is encrypted with a key that is no longer listed, or does not decrypt.</exception>
    public async Task<ReencryptResult> ReencryptAsync(CancellationToken cancellationToken = default)
    {
        var cipher = Cipher ?? throw new InvalidOperationException("privacy.encryption is not configured: there is no key to re-encrypt with");
        var contents = await ReencryptTableAsync(cipher, "contents", "request_id, time_ms", ["prompt", "response"], cancellationToken).ConfigureAwait(false);
        var feedback = await ReencryptTableAsync(cipher, "tandem_feedback", "id", ["correction", "comment", "messages", "answer"], cancellationToken).ConfigureAwait(false);
        var samples = await ReencryptTableAsync(cipher, "tandem_shadow_sample", "id", ["incumbent_answer", "candidate_answer"], cancellationToken).ConfigureAwait(false);
        return new ReencryptResult(contents, feedback, samples);
    }

    private async Task<long> ReencryptTableAsync(ContentCipher cipher, string table, string keyColumns, string[] columns, CancellationToken cancellationToken)
    {
        var keys = keyColumns.Split(", ");
        var select = "SELECT " + keyColumns + ", " + string.Join(", ", columns) + ", key_id FROM " + table +
            " WHERE key_id IS NULL OR key_id <> @active LIMIT " + RowsPerReencryptBatch.ToString(CultureInfo.InvariantCulture);
        var update = "UPDATE " + table + " SET " + string.Join(", ", columns.Select((c, i) => c + " = @c" + i.ToString(CultureInfo.InvariantCulture))) + ", key_id = @active WHERE " +
            string.Join(" AND ", keys.Select((k, i) => k + " = @k" + i.ToString(CultureInfo.InvariantCulture)));
        long moved = 0;
        while (true)
        {
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (tx.ConfigureAwait(false))
                {
                    var rows = await Sql.QueryAsync(connection, tx, select, cancellationToken, r => ReadRow(r, keys.Length, columns.Length), ("@active", cipher.ActiveKeyId)).ConfigureAwait(false);
                    if (rows.Count == 0)
                    {
                        return moved;
                    }

                    foreach (var (keyValues, values, keyId) in rows)
                    {
                        var parameters = new List<(string, object?)> { ("@active", cipher.ActiveKeyId) };
                        for (var i = 0; i < keyValues.Length; i++)
                        {
                            parameters.Add(("@k" + i.ToString(CultureInfo.InvariantCulture), keyValues[i]));
                        }

                        for (var i = 0; i < columns.Length; i++)
                        {
                            var clear = cipher.Decrypt(values[i], keyId, columns[i]);
                            parameters.Add(("@c" + i.ToString(CultureInfo.InvariantCulture), cipher.Encrypt(clear, columns[i])));
                        }

                        await Sql.ExecuteAsync(connection, tx, update, cancellationToken, [.. parameters]).ConfigureAwait(false);
                    }

                    await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                    moved += rows.Count;
                }
            }
        }
    }

    private static (object[] Keys, string?[] Values, string? KeyId) ReadRow(DbDataReader r, int keyCount, int columnCount)
    {
        var keys = new object[keyCount];
        for (var i = 0; i < keyCount; i++)
        {
            keys[i] = r.GetValue(i);
        }

        var values = new string?[columnCount];
        for (var i = 0; i < columnCount; i++)
        {
            values[i] = r.IsDBNull(keyCount + i) ? null : r.GetString(keyCount + i);
        }

        var k = keyCount + columnCount;
        return (keys, values, r.IsDBNull(k) ? null : r.GetString(k));
    }
}
