// Placeholder so the library has a translation unit; removed when the part gets code.
