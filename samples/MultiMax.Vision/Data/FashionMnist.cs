using System;
using System.IO;
using System.Linq;
using static TorchSharp.torch;

namespace MultiMax.Vision.Data;

/// <summary>One split of Fashion-MNIST as tensors: images [n, 28, 28] float32 (standardized), labels [n] int64.</summary>
public sealed record ImageSet(Tensor Images, Tensor Labels)
{
    public long Count => Labels.shape[0];

    /// <summary>The first <paramref name="count"/> examples (all of them when there are fewer).</summary>
    public ImageSet Take(long count) =>
        count >= Count ? this : new ImageSet(Images.narrow(0, 0, count), Labels.narrow(0, 0, count));
}

/// <summary>
/// Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 60 000 training and 10 000 test images of clothing, 28 × 28 grey
/// levels, 10 classes; read from the four IDX files that Debian's <c>dataset-fashion-mnist</c> package installs.
/// </summary>
public static class FashionMnist
{
    public const string DefaultFolder = "/usr/share/datasets/fashion-mnist";

    public const string InstallCommand = "sudo apt-get install dataset-fashion-mnist";

    public const int Side = 28;

    public static readonly string[] ClassNames =
        { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" };

    /// <summary>The four files, by the names the dataset (and Debian's package) gives them.</summary>
    public static readonly string[] FileNames =
        { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" };

    /// <summary>The files of <see cref="FileNames"/> that <paramref name="folder"/> lacks.</summary>
    public static string[] Missing(string folder) => FileNames.Where(f => !File.Exists(Path.Combine(folder, f))).ToArray();

    /// <summary>Reads the training and test sets from <paramref name="folder"/>.</summary>
    public static (ImageSet Train, ImageSet Test) Load(string folder) =>
        (Read(folder, FileNames[0], FileNames[1]), Read(folder, FileNames[2], FileNames[3]));

    /// <summary>An image set from an images file and a labels file that must agree in count, with 28 × 28 images and labels 0–9.</summary>
    public static ImageSet Read(string folder, string imagesFile, string labelsFile)
    {
        string imagesPath = Path.Combine(folder, imagesFile), labelsPath = Path.Combine(folder, labelsFile);
        IdxFile images = IdxFile.Read(imagesPath, dimensions: 3);
        IdxFile labels = IdxFile.Read(labelsPath, dimensions: 1);
        if (images.Dimensions[1] != Side || images.Dimensions[2] != Side)
        {
            throw new InvalidDataException($"'{imagesPath}' holds {images.Dimensions[1]} × {images.Dimensions[2]} images; Fashion-MNIST's are {Side} × {Side}.");
        }

        if (images.Dimensions[0] != labels.Dimensions[0])
        {
            throw new InvalidDataException($"'{imagesPath}' holds {images.Dimensions[0]} images but '{labelsPath}' holds {labels.Dimensions[0]} labels.");
        }

        if (labels.Data.FirstOrDefault(l => l >= ClassNames.Length, (byte)0) is var bad and > 0)
        {
            throw new InvalidDataException($"'{labelsPath}' holds the label {bad}; Fashion-MNIST's are 0–{ClassNames.Length - 1}.");
        }

        return FromBytes(images.Data, labels.Data, images.Dimensions[0]);
    }

    /// <summary>
    /// Images from grey levels 0–255, standardized with Fashion-MNIST's training mean and standard deviation
    /// (0.2860 and 0.3530 of full scale), so that every set is scaled the same way.
    /// </summary>
    public static ImageSet FromBytes(byte[] pixels, byte[] labels, int count)
    {
        const float Mean = 0.2860f, Deviation = 0.3530f;
        float[] values = pixels.Select(p => (p / 255f - Mean) / Deviation).ToArray();
        return new ImageSet(
            tensor(values, new long[] { count, Side, Side }),
            tensor(labels.Select(l => (long)l).ToArray(), new long[] { count }));
    }
}
