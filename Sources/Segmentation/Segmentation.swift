// The Segmentation library: the safe Swift face of the engine, images, masks and exports.

