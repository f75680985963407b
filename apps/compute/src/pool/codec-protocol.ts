// Messages between the codec pool and its workers (codec-worker.ts). Buffers travel as transferred
// ArrayBuffers, so a 512 KiB chunk crosses threads without a copy; the chunk buffer handed to `encode`
// comes back with the frame, for the caller to reuse.

export type ToCodecWorker =
  | { readonly id: number; readonly op: "encode"; readonly bytes: ArrayBuffer; readonly typesize: number }
  | {
      readonly id: number;
      readonly op: "decode";
      readonly frame: ArrayBuffer;
      readonly maxBytes: number;
      readonly container: string;
    };

export type FromCodecWorker =
  | { readonly id: number; readonly ok: true; readonly result: ArrayBuffer; readonly returned?: ArrayBuffer }
  | {
      readonly id: number;
      readonly ok: false;
      /** ImageFormatError fields when the worker threw one (so the caller can throw the same). */
      readonly source?: string;
      readonly problem?: string;
      readonly message: string;
    };
