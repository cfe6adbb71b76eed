namespace MultiMax.Generator.Emit;

/// <summary>
/// The two small matrix products of the fused kernels, over tiles in shared memory, written once for every kernel:
/// each lane computes a 2 × 2 block of the result in registers, so every shared-memory load feeds two multiply-adds
/// rather than one (the loads, not the arithmetic, bound these loops). Row tiles have rows <c>stride</c> apart (the
/// width or the next odd number); square tiles are <c>block</c> × <c>block</c>; <c>block</c> is a power of two of at
/// least 2. The kernel provides <c>lane</c>, <c>lanes</c>, <c>block</c> and <c>stride</c>.
/// </summary>
internal static partial class GpuEmitter
{
    /// <summary>
    /// <c>output[i, j] = Σ_c left[i, c]·right[j, c]</c> over the whole square tile (entries past the valid rows or
    /// columns are computed from stale tile rows, and their values are never used), then a barrier.
    /// </summary>
    private static void WriteTileProducts(SourceWriter writer, string t, string left, string right, string output, string width)
    {
        writer.Line($"// {output}[i, j] = {left}[i]·{right}[j], a 2 × 2 block per lane: each shared load feeds two multiply-adds.");
        using (writer.Block("for (int e = lane; e < block * block / 4; e += lanes)"))
        {
            writer.Line("int half = block / 2, i0 = e / half, j0 = e - i0 * half, i1 = i0 + half, j1 = j0 + half;");
            writer.Line($"{t} p00 = 0, p01 = 0, p10 = 0, p11 = 0;");
            using (writer.Block($"for (int c = 0; c < {width}; c++)"))
            {
                writer.Line($"{t} x0 = {left}[i0 * stride + c], x1 = {left}[i1 * stride + c], y0 = {right}[j0 * stride + c], y1 = {right}[j1 * stride + c];");
                writer.Line("p00 += x0 * y0;");
                writer.Line("p01 += x0 * y1;");
                writer.Line("p10 += x1 * y0;");
                writer.Line("p11 += x1 * y1;");
            }

            writer.Line($"{output}[i0 * block + j0] = p00;");
            writer.Line($"{output}[i0 * block + j1] = p01;");
            writer.Line($"{output}[i1 * block + j0] = p10;");
            writer.Line($"{output}[i1 * block + j1] = p11;");
        }

        writer.Line($"{Group}.Barrier();");
    }

    /// <summary>
    /// <c>output[r, c] = rescale(r)·output[r, c] + factor·Σ_k square[r, k]·right[k, c]</c> for r &lt; <paramref name="rows"/>
    /// and k &lt; <paramref name="depth"/>; <paramref name="transposed"/> reads the square tile as <c>square[k, r]</c>.
    /// The output tile is unpadded (<c>r·width + c</c>): only its own lane reads an entry.
    /// </summary>
    private static void WriteTileAccumulate(
        SourceWriter writer, string t, string output, string square, bool transposed, string right, string rows, string depth, string width,
        System.Func<string, string>? rescale = null, string? factor = null)
    {
        string Weight(string r) => transposed ? $"{square}[k * block + {r}]" : $"{square}[{r} * block + k]";
        string Update(string r, string c, string sum)
        {
            string old = $"{output}[{r} * {width} + {c}]";
            string product = factor is null ? sum : $"{factor} * {sum}";
            return rescale is null ? $"{old} += {product};" : $"{old} = {old} * {rescale(r)} + {product};";
        }

        using (writer.Block($"for (int e = lane, halfWidth = ({width} + 1) / 2; e < block / 2 * halfWidth; e += lanes)"))
        {
            writer.Line("int row0 = e / halfWidth, col0 = e - row0 * halfWidth, row1 = row0 + block / 2, col1 = col0 + halfWidth;");
            writer.Line($"bool pair = col1 < {width}; // an odd width leaves the last lane one column");
            writer.Line("int col1Read = pair ? col1 : col0;");
            writer.Line($"{t} s00 = 0, s01 = 0, s10 = 0, s11 = 0;");
            using (writer.Block($"for (int k = 0; k < {depth}; k++)"))
            {
                writer.Line($"{t} w0 = {Weight("row0")}, w1 = {Weight("row1")}, v0 = {right}[k * stride + col0], v1 = {right}[k * stride + col1Read];");
                writer.Line("s00 += w0 * v0;");
                writer.Line("s01 += w0 * v1;");
                writer.Line("s10 += w1 * v0;");
                writer.Line("s11 += w1 * v1;");
            }

            using (writer.Block($"if (row0 < {rows})"))
            {
                writer.Line(Update("row0", "col0", "s00"));
                writer.Line($"if (pair) {Update("row0", "col1", "s01")}");
            }

            using (writer.Block($"if (row1 < {rows})"))
            {
                writer.Line(Update("row1", "col0", "s10"));
                writer.Line($"if (pair) {Update("row1", "col1", "s11")}");
            }
        }
    }
}
