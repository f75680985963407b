// Prediction Export's choices: ilastik's source names, format labels, dtypes, and the default filename
// pattern with ilastik's placeholders (sequences need {slice_index}).
import { DTYPES, EXPORT_SOURCES, type ExportSource, RESULT_TYPES } from "@sylva/core";
import { SERVICE_EXPORT_FORMATS, type ServiceExportFormat } from "@sylva/shared";

export type { ExportSource, ServiceExportFormat };
export { DTYPES, EXPORT_SOURCES, SERVICE_EXPORT_FORMATS };

export const SOURCE_LABELS: Record<ExportSource, string> = RESULT_TYPES;

/** Short labels that fit the select; the longer explanation is in FORMAT_HINTS. */
export const FORMAT_LABELS: Record<ServiceExportFormat, string> = {
  "tiff-sequence": "TIFF sequence",
  "multipage-tiff": "Multipage TIFF",
  tiff: "TIFF",
  hdf5: "HDF5",
  "png-sequence": "PNG sequence",
  npy: "NumPy (.npy)",
  "ome-zarr": "OME-Zarr dataset",
};

export const FORMAT_HINTS: Record<ServiceExportFormat, string> = {
  "tiff-sequence": "One TIFF file per slice.",
  "multipage-tiff": "All slices in one TIFF file.",
  tiff: "A single TIFF file.",
  hdf5: "An HDF5 file.",
  "png-sequence": "One PNG file per slice.",
  npy: "A NumPy array file.",
  "ome-zarr": "A new OME-Zarr dataset in this project.",
};

/** Short names of the presets for the select; the full label is shown below it. */
export const PRESET_SHORT_LABELS: Readonly<Record<string, string>> = {
  fiji: "Fiji (8-bit TIFF slices)",
  "ome-zarr": "OME-Zarr probabilities",
  segmentation: "Segmentation (multipage TIFF)",
};

export function isSequence(format: ServiceExportFormat): boolean {
  return format === "tiff-sequence" || format === "png-sequence";
}

export function defaultFilename(format: ServiceExportFormat): string {
  return isSequence(format) ? "{nickname}_{result_type}_{slice_index}" : "{nickname}_{result_type}";
}

/** The dataset id an OME-Zarr export produced, from its store key ("datasets/ds_…/"). */
export function datasetIdOfKey(key: string | undefined): string | null {
  const m = key ? /(ds_[a-z2-9]{12})/.exec(key) : null;
  return m ? m[1] : null;
}
