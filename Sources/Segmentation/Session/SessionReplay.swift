// Recomputing an object's mask from its saved steps, through the model.
//
// THE PROTOCOL (the editor records steps this way, and replay follows it exactly; a mask is a
// pure function of the image, the model and the steps):
//
//  * Every prediction the editor asks for one object is one `Session.Step`, appended in order.
//    The step holds the whole prompt of that prediction, not a difference: every point so far
//    (in placement order, label 1 foreground / 0 background, original-image pixels), the box
//    if any, and the multimask setting used.
//  * Step 1 is predicted without a mask input (`maskInput` false). Each later step feeds back,
//    as SAM's `mask_input`, the low-resolution logits of the candidate kept at the step before
//    (that step's `candidate`), unless `maskInput` is false (for instance after the editor
//    clears the refinement).
//  * `candidate` is the candidate the user keeps from that step's prediction (0 when multimask
//    is off; the editor's default pick is the highest score, `MaskCandidates.best`). Picking
//    another candidate later changes the last step's `candidate` and predicts nothing.
//  * Changing multimask for the current prompt re-runs the last prediction: the editor
//    replaces the last step (same prompt and mask input, new `multimask` and `candidate`).
//  * Undo removes the last step, redo puts it back: the steps always describe the current state.
//  * The object's mask is the last step's kept candidate, at the image's full resolution,
//    thresholded at logit 0 (the predictor's output), with the object's edits applied in order
//    (MaskSculpting); without steps, an empty mask with the edits applied.
//  * An imported object has a base mask (`Session.Object.base`): without steps, its mask is the
//    base with the edits applied. Its first step may take a mask input (`maskInput` true): the
//    base at the editing size (nearest-neighbour) with the first `maskInputEdits` edits
//    applied (none when absent), made into logits as below. Clicking on an imported object
//    refines it from what it was.
//  * Refining from the edited mask is a step with `maskInputEdits` N: its mask input is made
//    (Predictor.maskInput) from the previous step's kept candidate at the editing size (the
//    image's, at most 1024 pixels on its long side: the editor's display masks) with the first N
//    edits applied. The editor makes it from its display mask, so both get the same logits.
//
// `prompt(for:maskInput:)` builds the engine prompt for a step; the editor uses it too, so the
// live predictions and the replayed ones cannot drift apart. `replay` is the only replay:
// `samterm export` runs it on a Predictor, the editor (restoring and exporting) on its engine.

import Foundation

public enum SessionReplay {
    /// An object's replayed result: the last step's prediction and the kept candidate.
    public struct Result: @unchecked Sendable {
        public let objectID: Int
        /// The last step's candidates, at the size asked for (the original image by default).
        public let candidates: MaskCandidates
        public let chosen: Int

        /// The kept candidate's mask.
        public var mask: BinaryMask { candidates.mask(at: chosen)! }
        public var score: Float { candidates.scores[chosen] }
        /// The kept candidate's low-resolution logits: the mask input of the next click.
        public var lowResLogits: [Float] { candidates.lowResLogits(at: chosen) }
    }

    public enum ReplayError: Error, Equatable, CustomStringConvertible, Sendable {
        /// A step asks for a candidate the prediction did not produce.
        case candidateOutOfRange(objectID: Int, step: Int, candidate: Int, count: Int)
        /// The engine refused a step (its message names the reason).
        case prediction(objectID: Int, step: Int, message: String)

        public var description: String {
            switch self {
            case .candidateOutOfRange(let objectID, let step, let candidate, let count):
                return "object \(objectID), step \(step): candidate \(candidate) was kept, but the prediction gave \(count)"
            case .prediction(let objectID, let step, let message):
                return "object \(objectID), step \(step): prediction failed: \(message)"
            }
        }
    }

    /// The engine prompt for `step`, with `maskInput` the previous kept candidate's logits
    /// (ignored when the step does not use one).
    public static func prompt(for step: Session.Step, maskInput: [Float]?) -> Prompt {
        Prompt(
            points: step.points.map {
                PromptPoint(x: Float($0.x), y: Float($0.y), label: $0.isForeground ? .foreground : .background)
            },
            box: step.box.map { PromptBox(x0: Float($0.x0), y0: Float($0.y0), x1: Float($0.x1), y1: Float($0.y1)) },
            maskInput: step.maskInput ? maskInput : nil,
            multimask: step.multimask)
    }

    /// What replaying reads of a prediction: how many candidates it gave, a candidate's
    /// low-resolution logits and its mask (nil when it was not upsampled). `MaskCandidates` is
    /// one; the editor's engine answers with its own.
    public protocol Candidates {
        var count: Int { get }
        func lowResLogits(at index: Int) -> [Float]
        func mask(at index: Int) -> BinaryMask?
    }

    /// Longest side of the masks edits are applied to before they become a mask input.
    public static let editingSizeLimit = 1024

    /// The size of the mask a refining step's mask input is made from (and of the editor's
    /// display masks): the image's, scaled down to `editingSizeLimit` on its long side.
    public static func editingSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let longSide = max(width, height)
        guard longSide > editingSizeLimit else { return (width, height) }
        let factor = Double(editingSizeLimit) / Double(longSide)
        return (max(Int((Double(width) * factor).rounded()), 1), max(Int((Double(height) * factor).rounded()), 1))
    }

    /// How a replay turns an edited mask into a mask input, and where it applies edits.
    public struct Editing {
        public var edits: [MaskEdit]
        public var imageWidth: Int
        public var imageHeight: Int
        /// The object's base mask (any size), which a first step with a mask input refines from.
        public var base: BinaryMask?
        /// The mask input of a mask (Predictor.maskInput).
        public var maskInput: (BinaryMask) throws -> [Float]

        public init(edits: [MaskEdit], imageWidth: Int, imageHeight: Int, base: BinaryMask? = nil,
                    maskInput: @escaping (BinaryMask) throws -> [Float]) {
            self.edits = edits
            self.imageWidth = imageWidth
            self.imageHeight = imageHeight
            self.base = base
            self.maskInput = maskInput
        }

        /// The mask input a first step takes from the base: the base at the editing size with
        /// the first `edits` edits applied.
        public func baseMaskInput(edits count: Int) throws -> [Float] {
            guard let base, count >= 0, count <= edits.count else {
                throw SessionReplay.ReplayError.prediction(objectID: 0, step: 1, message: "no base mask to refine from")
            }
            let size = editingSize(width: imageWidth, height: imageHeight)
            let sized = base.width == size.width && base.height == size.height
                ? base : base.resizedNearest(width: size.width, height: size.height)
            return try maskInput(MaskSculpting.apply(edits.prefix(count), to: sized, imageWidth: imageWidth,
                                                     imageHeight: imageHeight))
        }
    }

    /// Steps replayed: the last step's prediction, the candidate kept from it, and the mask input
    /// that step was given (the previous kept candidate's logits; nil when it took none), which
    /// refining goes on from.
    public struct Replayed<Prediction> {
        public let prediction: Prediction
        public let chosen: Int
        public let maskInput: [Float]?

        /// The same replay with its prediction in another form.
        public func map<Other>(_ transform: (Prediction) throws -> Other) rethrows -> Replayed<Other> {
            Replayed<Other>(prediction: try transform(prediction), chosen: chosen, maskInput: maskInput)
        }
    }

    /// Steps before the last only pass their kept candidate's logits on: no mask of theirs is
    /// upsampled but the best one's, at one pixel.
    public static let passingOutput = MaskOutputOptions(size: (1, 1), bestMaskOnly: true)

    /// Replays `steps` (one object's, `objectID` naming it in errors) through `predict`, which
    /// predicts a prompt on the image with the given mask output. Returns nil without steps.
    /// Errors name the object and the step: a prediction that failed, or a kept candidate the
    /// prediction does not have.
    /// - Parameter finalOutput: the mask size and candidates of the last step's prediction.
    /// - Parameter editing: the object's edits, needed when a step refines from the edited mask
    ///   (`maskInputEdits`); such a step without it is an error.
    public static func replay<Prediction: Candidates>(
        _ steps: [Session.Step], objectID: Int, finalOutput: MaskOutputOptions, editing: Editing? = nil,
        predict: (Prompt, MaskOutputOptions) throws -> Prediction
    ) throws -> Replayed<Prediction>? {
        var maskInput: [Float]? = nil
        if let first = steps.first, first.maskInput {
            // Only an imported object's first step has an earlier mask: its base.
            guard let editing, editing.base != nil else {
                throw ReplayError.prediction(objectID: objectID, step: 1, message: "it refines a base mask the object does not have")
            }
            do {
                maskInput = try editing.baseMaskInput(edits: first.maskInputEdits ?? 0)
            } catch {
                throw ReplayError.prediction(objectID: objectID, step: 1, message: "\(error)")
            }
        }
        for (index, step) in steps.enumerated() {
            let isLast = index == steps.count - 1
            let stepPrompt = prompt(for: step, maskInput: maskInput)
            // The next step refines from this one's kept candidate, edited: its mask is needed.
            let nextEdits = isLast ? nil : steps[index + 1].maskInputEdits
            let output: MaskOutputOptions
            if isLast {
                output = finalOutput
            } else if nextEdits != nil, let editing {
                output = MaskOutputOptions(size: editingSize(width: editing.imageWidth, height: editing.imageHeight))
            } else {
                output = passingOutput
            }
            let prediction: Prediction
            do {
                prediction = try predict(stepPrompt, output)
            } catch {
                throw ReplayError.prediction(objectID: objectID, step: index + 1, message: "\(error)")
            }
            guard step.candidate >= 0 && step.candidate < prediction.count else {
                throw ReplayError.candidateOutOfRange(objectID: objectID, step: index + 1, candidate: step.candidate,
                                                      count: prediction.count)
            }
            if isLast { return Replayed(prediction: prediction, chosen: step.candidate, maskInput: stepPrompt.maskInput) }
            if let count = nextEdits {
                guard let editing, count >= 0, count <= editing.edits.count, let kept = prediction.mask(at: step.candidate) else {
                    throw ReplayError.prediction(objectID: objectID, step: index + 2,
                                                 message: "it refines from \(count) edits, which the object does not have")
                }
                let edited = MaskSculpting.apply(editing.edits.prefix(count), to: kept,
                                                 imageWidth: editing.imageWidth, imageHeight: editing.imageHeight)
                do {
                    maskInput = try editing.maskInput(edited)
                } catch {
                    throw ReplayError.prediction(objectID: objectID, step: index + 2, message: "\(error)")
                }
            } else {
                maskInput = prediction.lowResLogits(at: step.candidate)
            }
        }
        return nil
    }

    /// Replays one object's steps on `predictor`, whose image (`imageWidth` x `imageHeight`)
    /// must already be set (or its embedding loaded). Returns nil for an object without steps.
    /// - Parameter finalOutput: the mask size and candidates of the last step's prediction.
    public static func replay(_ object: Session.Object, with predictor: Predictor, imageWidth: Int, imageHeight: Int,
                              finalOutput: MaskOutputOptions = MaskOutputOptions()) throws -> Result? {
        let base = try object.base.map { try $0.decode(width: imageWidth, height: imageHeight) }
        let editing = Editing(edits: object.edits, imageWidth: imageWidth, imageHeight: imageHeight, base: base,
                              maskInput: predictor.maskInput(from:))
        return try replay(object.steps, objectID: object.id, finalOutput: finalOutput, editing: editing) {
            try predictor.predict($0, options: $1)
        }.map { Result(objectID: object.id, candidates: $0.prediction, chosen: $0.chosen) }
    }

    /// An object's final mask at the image's size: its steps replayed on `predictor` (see
    /// above), its edits applied; the score is the kept candidate's (nil without steps).
    public static func finalMask(of object: Session.Object, with predictor: Predictor, imageWidth: Int,
                                 imageHeight: Int) throws -> (mask: BinaryMask, score: Float?) {
        let replayed = try replay(object, with: predictor, imageWidth: imageWidth, imageHeight: imageHeight)
        let base = try replayed?.mask ?? object.base?.decode(width: imageWidth, height: imageHeight)
            ?? BinaryMask(width: imageWidth, height: imageHeight)
        return (MaskSculpting.apply(object.edits, to: base, imageWidth: imageWidth, imageHeight: imageHeight), replayed?.score)
    }
}

extension SessionReplay.Replayed: Sendable where Prediction: Sendable {}

extension MaskCandidates: SessionReplay.Candidates {}
