// Image codecs and readers: PNG, JPEG, TIFF, HDF5, NumPy .npy, format dispatch and z-stacking.

export * from "./errors.js";
export * from "./hdf5.js";
export * from "./image.js";
export * from "./jpeg.js";
export * from "./npy.js";
export * from "./png.js";
export * from "./stack.js";
export * from "./tiff.js";
